// The public option types: the one place each option is named, typed and documented.
// To add an option: a property here (TSDoc, unit, `@defaultValue`), its zod field in schema.ts,
// and its default in defaults.ts when it has one. Its resolved type follows (resolve.ts), and
// test/types/options.test-d.ts fails until the interface and the schema agree.
// Every optional property also accepts `undefined`, for `exactOptionalPropertyTypes` users.
import type { DecisionEvent } from '../authenticator/decision-event.js'
import type { Instrumentation } from '../authenticator/instrumentation.js'
import type { KeySetWarning } from '../errors/errors.js'
import type { ClaimsOption } from '../claims/claim-mapping.js'
import type { Algorithm } from '../jose/algorithms.js'
import type { CommonGroups, IssuerGroups } from './groups.js'

/** Where a bearer token may be read from (RFC 6750 §2). */
export type TokenLocation = 'header' | 'query' | 'body'

/**
 * What a tenant resolver may return: known (`true`), known with overrides (an object with
 * `audience` and/or `jwksUri`, nothing else), or unknown (`false`, `null`, `undefined`). Any other
 * answer (`0`, `''`, `'false'`, `1`, `{}`, an object with other members…) refuses the tenant: only
 * an explicit yes accepts one.
 */
export type TenantResolution =
  | boolean
  | null
  | undefined
  | { audience?: string | string[] | undefined; jwksUri?: string | undefined }

/** How a token is verified; set per issuer, or once at the top level as every issuer's default. */
export interface VerificationOptions {
  /**
   * Accepted JWS algorithms (RFC 8725 §3.1). `none` is never accepted.
   * @defaultValue the asymmetric list (`ASYMMETRIC_ALGORITHMS`); with `secret`, HS256/384/512
   */
  algorithms?: Algorithm[] | undefined
  /**
   * Allowed clock skew when checking `exp`, `nbf` and `iat`, in seconds (at most 300).
   * @defaultValue 5
   */
  clockTolerance?: number | undefined
  /** Refuse tokens issued (`iat`) more than this many seconds ago. Default: no limit. */
  maxTokenAge?: number | undefined
  /** Refuse tokens whose lifetime (`exp` − `iat`, or `exp` − now) exceeds this, in seconds. Default: no limit. */
  maxTokenLifetime?: number | undefined
  /** Claims that must be present, beyond `exp` (always required) and the profile's. */
  requiredClaims?: string[] | undefined
  /**
   * `default` accepts `typ` `at+jwt`, `application/at+jwt`, `JWT` or none. `strict` follows
   * RFC 9068 to the letter: `typ` must be `at+jwt`, and `sub`, `iat`, `jti`, `client_id` are
   * required.
   * @defaultValue 'default'
   */
  profile?: 'default' | 'strict' | undefined
  /** Claim (exact name or dot path) holding roles; overrides the preset's. */
  rolesClaim?: string | undefined
  /**
   * How tokens are normalized into scopes, roles, groups, permissions, tenant, clientId, email
   * and name: a preset (`'generic'`, `'keycloak'`, `'auth0'`, `'okta'`, `'entra'`, `'cognito'`,
   * `'google'`), `{ preset, …settings }`, or a custom mapping of claim paths or functions.
   * @defaultValue 'generic'
   */
  claims?: ClaimsOption | undefined
}

/** One trusted issuer. */
export interface IssuerOptions extends VerificationOptions, IssuerGroups {
  /**
   * Expected `iss`, exactly. May be a template with one `{tenant}` placeholder, e.g.
   * `https://login.microsoftonline.com/{tenant}/v2.0`; then `tenants` or `resolveTenant` says
   * which tenants exist.
   */
  issuer: string
  /** Expected `aud`; the token must contain at least one of these. */
  audience: string | string[]
  /** The JWKS URL (may contain `{tenant}`). Default: discovered from the issuer. */
  jwksUri?: string | undefined
  /** Shared secret for HS* tokens, at least 32 bytes (RFC 7518 §3.2). Default: none (HS* refused). */
  secret?: string | Uint8Array | undefined
  /** Known tenants of an issuer template. */
  tenants?: string[] | undefined
  /**
   * Decides whether a tenant of an issuer template exists (e.g. from your database). Bounded by
   * `timeoutDuration` (a late answer is a 503), called once at a time per tenant, and cached:
   * accepted tenants for `resolvedTenantTtl`, unknown ones for `unknownTenantTtl`.
   */
  resolveTenant?: ((tenant: string) => TenantResolution | Promise<TenantResolution>) | undefined
}

/** Settings shared by every issuer: token extraction, key fetching, caches and hooks. */
export interface CommonOptions extends VerificationOptions, CommonGroups {
  /**
   * Where tokens are read from; `query` and `body` are RFC 6750 §2.2/§2.3 opt-ins.
   * @defaultValue ['header']
   */
  tokenLocations?: TokenLocation[] | undefined
  /**
   * When false, a request without a token passes with no auth context (`auth` undefined).
   * @defaultValue true
   */
  credentialsRequired?: boolean | undefined
  /**
   * `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3).
   * @defaultValue 'api'
   */
  realm?: string | undefined
  /**
   * Longest accepted token, in characters.
   * @defaultValue 8192
   */
  maxTokenLength?: number | undefined
  /**
   * JWKS/discovery fetch timeout, in milliseconds.
   * @defaultValue 5000
   */
  timeoutDuration?: number | undefined
  /**
   * How long unknown `kid`s wait after a refetch for one found nothing new, in milliseconds
   * (a made-up-kid flood costs one fetch per window; a real rotation is still picked up within
   * about a second); also the longest retry backoff after a failed fetch. Fetches are always at
   * least min(1000, cooldownDuration) apart. At most `cacheMaxAge`. See docs/failure-modes.md.
   * @defaultValue 30000
   */
  cooldownDuration?: number | undefined
  /**
   * Longest time keys are used before a background refresh, in milliseconds. At least
   * `cooldownDuration`.
   * @defaultValue 600000
   */
  cacheMaxAge?: number | undefined
  /**
   * How long cached keys keep serving while the JWKS endpoint fails, in milliseconds.
   * @defaultValue 86400000
   */
  maxStaleAge?: number | undefined
  /**
   * Largest JWKS or discovery response accepted, in bytes.
   * @defaultValue 262144
   */
  maxResponseSize?: number | undefined
  /**
   * Most keys accepted from one JWKS.
   * @defaultValue 100
   */
  maxKeys?: number | undefined
  /**
   * Verified tokens remembered so a repeat skips the signature check, in entries; 0 disables.
   * @defaultValue 10000
   */
  tokenCacheSize?: number | undefined
  /**
   * Longest a verified token is remembered, in milliseconds (never past its `exp`).
   * @defaultValue 300000
   */
  tokenCacheMaxAge?: number | undefined
  /**
   * Tenants of issuer templates whose keys are kept at once, in entries.
   * @defaultValue 100
   */
  maxTenants?: number | undefined
  /**
   * Unknown tenants remembered so a flood of made-up ones costs nothing, in entries.
   * @defaultValue 10000
   */
  unknownTenantCacheSize?: number | undefined
  /**
   * How long an unknown tenant is remembered, in milliseconds.
   * @defaultValue 300000
   */
  unknownTenantTtl?: number | undefined
  /**
   * How long a tenant `resolveTenant` accepted is trusted before it is asked again, in
   * milliseconds, so an offboarded tenant stops working without a restart.
   * @defaultValue 300000
   */
  resolvedTenantTtl?: number | undefined
  /**
   * Allow `http:` issuers, JWKS and discovery URLs on hosts other than loopback. Off by default:
   * keys come over `https:`, or `http:` only from 127.0.0.0/8, `[::1]` or `localhost`. Even with
   * this opt-in, a discovered `jwks_uri` never downgrades an `https:` issuer to `http:`.
   * @see RFC 8725 §3.9
   * @defaultValue false
   */
  allowInsecureRequests?: boolean | undefined
  /** The `fetch` used for discovery and JWKS. Default: the global `fetch`. */
  fetch?: typeof fetch | undefined
  /**
   * Receives a one-line hint the first time a kind of JWKS/discovery fetch failure happens for an
   * issuer (e.g. `onWarning: (warning) => logger.warn(warning)`). Default: `process.emitWarning`.
   */
  onWarning?: ((warning: KeySetWarning) => void) | undefined
  /** Receives every authentication and guard decision, allowed or not. */
  onDecision?: ((event: DecisionEvent) => void) | undefined
  /**
   * Metrics and traces hooks, e.g. `createTelemetry()` from `oidc-guard/otel`. Unset, they cost
   * nothing. See {@link Instrumentation}.
   * @example instrumentation: createTelemetry({ meterProvider })
   */
  instrumentation?: Instrumentation | undefined
  /**
   * Adapters only: hand errors to the framework's error pipeline (`next(err)`, a thrown error,
   * Fastify's error handler) instead of answering them directly.
   * @defaultValue false
   */
  forwardErrors?: boolean | undefined
}

/** One issuer, configured at the top level. */
export interface SingleIssuerOptions extends CommonOptions, IssuerOptions {
  /** Not with `issuer`: use {@link MultiIssuerOptions} for several issuers. */
  issuers?: undefined
}

/** Several issuers; top-level verification settings are each issuer's defaults. */
export interface MultiIssuerOptions extends CommonOptions {
  /** The trusted issuers; a token is checked against the one its `iss` names. */
  issuers: IssuerOptions[]
  /** Not with `issuers`: set it on each entry. */
  issuer?: undefined
  /** Not with `issuers`: set it on each entry. */
  audience?: undefined
}

/**
 * Options of `createAuthenticator()` and of every adapter's `authenticate()`.
 * Checked once at startup: a bad or unknown option throws a `ConfigurationError` naming it.
 * @example
 * createAuthenticator({ issuer: 'https://idp.example.com', audience: 'orders-api' })
 * @example
 * createAuthenticator({
 *   issuers: [
 *     { issuer: 'https://login.example.com', audience: 'orders-api', claims: 'keycloak' },
 *     { issuer: 'https://partner.example.net', audience: 'orders-api', claims: 'okta' },
 *   ],
 * })
 */
export type AuthenticateOptions = SingleIssuerOptions | MultiIssuerOptions
