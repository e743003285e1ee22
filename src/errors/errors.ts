import { DESCRIPTIONS } from './reasons.js'
import { formatChallenge } from './challenge.js'
import type { Decision } from './decision.js'

/** Every stable error code oidc-guard produces. */
export type OidcGuardErrorCode =
  | 'ERR_BEARER_MISSING_TOKEN'
  | 'ERR_BEARER_INVALID_REQUEST'
  | 'ERR_BEARER_INVALID_TOKEN'
  | 'ERR_BEARER_INSUFFICIENT_SCOPE'
  | 'ERR_KEYS_UNAVAILABLE'
  | 'ERR_DEPENDENCY_UNAVAILABLE'

/** The RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

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
 * The keys (or discovery document) needed to verify the token cannot be had: our failure, not
 * the client's, so 503 with `Retry-After` and no challenge.
 */
export class KeySetUnavailableError extends OidcGuardError {
  readonly code = 'ERR_KEYS_UNAVAILABLE'
  readonly status = 503
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number

  constructor(message: string, options: ErrorOptions & { retryAfter?: number } = {}) {
    super(message, options)
    this.retryAfter = options.retryAfter ?? 30
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) }
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

/** Invalid options or guard arguments, thrown at startup (never while serving a request). */
export class ConfigurationError extends Error {
  readonly code = 'ERR_OIDC_GUARD_CONFIGURATION'
  constructor(message: string) {
    super(message)
    this.name = 'ConfigurationError'
  }
}

const ERROR_CODES: ReadonlySet<string> = new Set<OidcGuardErrorCode>([
  'ERR_BEARER_MISSING_TOKEN',
  'ERR_BEARER_INVALID_REQUEST',
  'ERR_BEARER_INVALID_TOKEN',
  'ERR_BEARER_INSUFFICIENT_SCOPE',
  'ERR_KEYS_UNAVAILABLE',
  'ERR_DEPENDENCY_UNAVAILABLE',
])

/**
 * True for any request error oidc-guard throws, even from another copy of the package (checks
 * `code`, not `instanceof`, so the dual-package hazard cannot hide one).
 */
export function isOidcGuardError(value: unknown): value is OidcGuardError {
  if (!(value instanceof Error)) return false
  const code: unknown = (value as Error & { code?: unknown }).code
  return typeof code === 'string' && ERROR_CODES.has(code)
}
