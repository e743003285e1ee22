import { DESCRIPTIONS } from './reasons.js'
import { formatChallenge, type ChallengeOptions } from './challenge.js'
import type { Decision } from './decision.js'

/** Every stable error code a request can fail with: the one list the type and the check follow. */
const ERROR_CODES = [
  'ERR_BEARER_MISSING_TOKEN',
  'ERR_BEARER_INVALID_REQUEST',
  'ERR_BEARER_INVALID_TOKEN',
  'ERR_BEARER_INSUFFICIENT_SCOPE',
  'ERR_KEYS_UNAVAILABLE',
  'ERR_DPOP_INVALID_PROOF',
  'ERR_DPOP_USE_NONCE',
  'ERR_INSUFFICIENT_USER_AUTHENTICATION',
  'ERR_REPLAY_STORE_UNAVAILABLE',
  'ERR_DEPENDENCY_UNAVAILABLE',
] as const

/** Every stable error code oidc-guard produces. */
export type OidcGuardErrorCode = (typeof ERROR_CODES)[number]

/**
 * The error codes of a challenge: RFC 6750 §3.1, RFC 9449 §7.1 and §9 (`invalid_dpop_proof`,
 * `use_dpop_nonce`), RFC 9470 §3 (`insufficient_user_authentication`).
 */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_user_authentication'

/** The JSON body every oidc-guard error answers with. */
export interface ErrorBody {
  error: string
  error_description: string
}

interface ErrorOptions {
  cause?: unknown
  realm?: string
}

/**
 * Base of every error oidc-guard throws while handling a request.
 *
 * `status`, `headers` and `expose` follow the contract of Express' finalhandler, Koa's `onerror`
 * and Fastify's default error handler, so each framework renders it without glue. The message is
 * a fixed sentence of ours: never the token, a key or anything from the request.
 */
export abstract class OidcGuardError extends Error {
  abstract readonly code: OidcGuardErrorCode
  abstract readonly status: 400 | 401 | 403 | 503
  readonly bearerError?: BearerErrorCode
  /** Scopes that would satisfy the failed guard (RFC 6750 §3 `scope` attribute). */
  readonly scope?: readonly string[]
  readonly expose = true
  readonly realm?: string
  /**
   * Which schemes the challenge offers (Bearer, DPoP), which one failed and the
   * `resource_metadata` URL; set by the authenticator that rejected the request.
   */
  challenge?: ChallengeOptions

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.realm = options.realm
  }

  /** Alias of `status` for frameworks that read `statusCode`. */
  get statusCode(): number {
    return this.status
  }

  /** Response headers: the RFC 6750 challenge, or `Retry-After` for 503. */
  get headers(): Record<string, string> {
    return { 'WWW-Authenticate': formatChallenge(this) }
  }

  /** The response body: `{ error, error_description }`. */
  get body(): ErrorBody {
    return { error: this.bearerError ?? 'unauthorized', error_description: this.message }
  }
}

/** No bearer token in the request (RFC 6750 §3.1: 401 with a challenge and no error code). */
export class MissingTokenError extends OidcGuardError {
  readonly code = 'ERR_BEARER_MISSING_TOKEN'
  readonly status = 401
  constructor(message: string = DESCRIPTIONS.noCredentials, options?: ErrorOptions) {
    super(message, options)
  }
}

/** The request carries credentials in a form RFC 6750 forbids: 400 `invalid_request`. */
export class InvalidRequestError extends OidcGuardError {
  readonly code = 'ERR_BEARER_INVALID_REQUEST'
  readonly status = 400
  override readonly bearerError = 'invalid_request'
}

/** The token is malformed, expired, revoked or fails verification: 401 `invalid_token`. */
export class InvalidTokenError extends OidcGuardError {
  readonly code = 'ERR_BEARER_INVALID_TOKEN'
  readonly status = 401
  override readonly bearerError = 'invalid_token'
}

/**
 * A valid token that a guard denied: 403 `insufficient_scope`. For scope guards the challenge
 * names the scopes that would satisfy it; role and claim denials are 403 too, never 401.
 */
export class InsufficientScopeError extends OidcGuardError {
  readonly code = 'ERR_BEARER_INSUFFICIENT_SCOPE'
  readonly status = 403
  override readonly bearerError = 'insufficient_scope'
  override readonly scope?: readonly string[]
  /** The decision that denied the request. */
  readonly decision: Decision

  constructor(decision: Decision, options: ErrorOptions = {}) {
    super(
      decision.scope && decision.scope.length > 0
        ? DESCRIPTIONS.insufficientScope
        : DESCRIPTIONS.forbidden,
      options,
    )
    this.decision = decision
    this.scope = decision.scope
  }
}

/**
 * How fetching a discovery document or key set failed: `timeout` (no complete answer within
 * `timeoutDuration`), `network` (refused, reset, unresolvable host: see `code`), `status` (not
 * 200, redirects included: see `status`), `too-large` (over `maxResponseSize` or `maxKeys`),
 * `invalid-json` (not JSON), `invalid-document` (JSON, but not a usable discovery document or a
 * key set with at least one usable signing key), `aborted` (the authenticator was closed).
 */
export type KeySetFailureKind =
  | 'timeout'
  | 'network'
  | 'status'
  | 'too-large'
  | 'invalid-json'
  | 'invalid-document'
  | 'aborted'
  | 'insecure'

/** Which document was being fetched: the discovery document or the JWK Set. */
export type KeySetResource = 'discovery' | 'jwks'

/**
 * Why the keys could not be had, as plain data: the `failure` of a `KeySetUnavailableError`
 * and the `cause` of its decision event. Holds no secret: the URL is reduced to origin and path.
 * @example { kind: 'status', resource: 'jwks', url: 'https://idp.example.com/jwks', status: 404 }
 */
export interface KeySetFailure {
  readonly kind: KeySetFailureKind
  readonly resource: KeySetResource
  /** The URL fetched, origin and path only (no credentials, no query). */
  readonly url: string
  /** The HTTP status, for `kind: 'status'`. */
  readonly status?: number
  /** The system error code for `kind: 'network'`, e.g. `ENOTFOUND`, `ECONNREFUSED`. */
  readonly code?: string
}

/**
 * A one-line hint for the server's log, given once per issuer and kind of fetch failure (the
 * `onWarning` option; by default `process.emitWarning`). Every failing request's decision
 * event carries the failure too.
 */
export interface KeySetWarning {
  /** One sentence for operators: the issuer, the URL and what went wrong. */
  readonly message: string
  readonly issuer: string
  readonly failure: KeySetFailure
}

/**
 * The keys (or discovery document) needed to verify the token cannot be had: our failure, not
 * the client's, so 503 with `Retry-After` and no challenge. `cause` is the underlying failure
 * (an `Error`), `failure` the same as plain data; neither reaches the client.
 */
export class KeySetUnavailableError extends OidcGuardError {
  readonly code = 'ERR_KEYS_UNAVAILABLE'
  readonly status = 503
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number
  /** Why the last fetch failed, when a fetch failed (see `KeySetFailure`). */
  readonly failure?: KeySetFailure

  constructor(
    message: string,
    options: ErrorOptions & { retryAfter?: number; failure?: KeySetFailure } = {},
  ) {
    super(message, options)
    this.retryAfter = options.retryAfter ?? 30
    if (options.failure !== undefined) this.failure = options.failure
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) }
  }
  override get body(): ErrorBody {
    return { error: 'temporarily_unavailable', error_description: this.message }
  }
}

/** Invalid options or guard arguments, thrown at startup (never while serving a request). */
export class ConfigurationError extends Error {
  readonly code = 'ERR_OIDC_GUARD_CONFIGURATION'
  constructor(message: string) {
    super(message)
    this.name = 'ConfigurationError'
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES)

/**
 * True for any request error oidc-guard throws, even from another copy of the package (checks
 * `code`, not `instanceof`, so the dual-package hazard cannot hide one).
 */
export function isOidcGuardError(value: unknown): value is OidcGuardError {
  if (!(value instanceof Error)) return false
  const code: unknown = (value as Error & { code?: unknown }).code
  return typeof code === 'string' && KNOWN_CODES.has(code)
}

/**
 * A DPoP proof failed a check of RFC 9449 §4.3 (or is missing, or was replayed): 401
 * `invalid_dpop_proof` in a `DPoP` challenge (RFC 9449 §7.1).
 */
export class InvalidDpopProofError extends OidcGuardError {
  readonly code: OidcGuardErrorCode = 'ERR_DPOP_INVALID_PROOF'
  readonly status = 401
  override readonly bearerError: BearerErrorCode = 'invalid_dpop_proof'
  /** The server nonce the client should use next (RFC 9449 §9), when nonces are on. */
  readonly nonce?: string

  constructor(message: string, options: ErrorOptions & { nonce?: string } = {}) {
    super(message, options)
    this.nonce = options.nonce
  }
  /** The challenge, plus `DPoP-Nonce` when the server uses nonces (RFC 9449 §8.1, §9). */
  override get headers(): Record<string, string> {
    const headers = super.headers
    if (this.nonce !== undefined) headers['DPoP-Nonce'] = this.nonce
    return headers
  }
}

/**
 * The DPoP proof lacks the server's current nonce: 401 `use_dpop_nonce` with a fresh
 * `DPoP-Nonce` header; the client retries with it (RFC 9449 §9).
 */
export class UseDpopNonceError extends InvalidDpopProofError {
  override readonly code = 'ERR_DPOP_USE_NONCE'
  override readonly bearerError = 'use_dpop_nonce'
}

/**
 * A valid token whose authentication is too weak or too old for the route: 401
 * `insufficient_user_authentication` with `acr_values` and/or `max_age`, so the client can ask
 * the authorization server for a stronger or fresher login (RFC 9470 §3).
 */
export class InsufficientUserAuthenticationError extends OidcGuardError {
  readonly code = 'ERR_INSUFFICIENT_USER_AUTHENTICATION'
  readonly status = 401
  override readonly bearerError = 'insufficient_user_authentication'
  /** Authentication context class references that would satisfy the route (RFC 9470 §3). */
  readonly acrValues?: readonly string[]
  /** Longest accepted time since the user authenticated, in seconds (RFC 9470 §3). */
  readonly maxAge?: number
  /** The decision that denied the request. */
  readonly decision: Decision

  constructor(decision: Decision, options: ErrorOptions = {}) {
    super(decision.stepUp?.acrValues ? DESCRIPTIONS.stepUpAcr : DESCRIPTIONS.stepUpAge, options)
    this.decision = decision
    this.acrValues = decision.stepUp?.acrValues
    this.maxAge = decision.stepUp?.maxAge
  }
}

/**
 * The DPoP replay store cannot answer (Redis down or slow): 503 with `Retry-After`. Failing
 * closed: a proof whose single use cannot be checked is not accepted.
 */
export class ReplayStoreUnavailableError extends OidcGuardError {
  readonly code = 'ERR_REPLAY_STORE_UNAVAILABLE'
  readonly status = 503

  constructor(options: ErrorOptions = {}) {
    super(DESCRIPTIONS.replayStoreUnavailable, options)
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': '5' }
  }
  override get body(): ErrorBody {
    return { error: 'temporarily_unavailable', error_description: this.message }
  }
}

/**
 * A service a decision depends on cannot answer: the introspection endpoint, the shared
 * denylist, or the app's permission resolver. Fail closed: 503 with `Retry-After`, no challenge;
 * the message says which one (it is the decision event's `reason`).
 */
export class DependencyUnavailableError extends OidcGuardError {
  readonly code = 'ERR_DEPENDENCY_UNAVAILABLE'
  readonly status = 503
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number

  constructor(message: string, options: ErrorOptions & { retryAfter?: number } = {}) {
    super(message, options)
    this.retryAfter = options.retryAfter ?? 5
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) }
  }
  override get body(): ErrorBody {
    return { error: 'temporarily_unavailable', error_description: this.message }
  }
}
