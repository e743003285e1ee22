import type { ResolvedAuthenticateOptions } from '../config/options.js'
import type { OidcGuardError } from '../errors/errors.js'
import type { Guard } from '../guards/guard.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type {
  AuthenticatorStats,
  FetchHook,
  TokenCacheLookups,
  VerificationHook,
} from '../verify/verifier.js'

/**
 * Hooks the core calls so metrics and traces can be kept without the core knowing any telemetry
 * library. `oidc-guard/otel`'s `createTelemetry()` returns one; you may write your own.
 *
 * Every hook is optional and an unset hook costs one property check. Hooks run on the request
 * path, so keep them cheap; the decision hooks (`onAuthenticated`, `onAuthorized`, `onDenied`)
 * are guarded, so a hook that throws never changes the answer. None of them receives the raw
 * token except through `AuthContext.token`, which a hook must never record.
 *
 * @example
 * createAuthenticator({ issuer, audience, instrumentation: createTelemetry() })
 */
export interface Instrumentation {
  /** A token was accepted. On a cache hit `auth` is the same object as before. */
  onAuthenticated?(auth: AuthContext, request: AuthRequest): void
  /** A guard allowed the request. */
  onAuthorized?(guard: Guard, auth: AuthContext, request: AuthRequest): void
  /**
   * The request is refused: authentication failed (no `guard`), or a guard denied it (`guard`
   * set; `error` is an `InsufficientScopeError`, a step-up or DPoP 401, or a `MissingTokenError`
   * when the route had no authenticated context). `auth` is the verified context a guard
   * refused, when there is one (never for a failed authentication: that token is not trusted).
   */
  onDenied?(error: OidcGuardError, request: AuthRequest, guard?: Guard, auth?: AuthContext): void
  /** Wraps each verification that is not a verified-token cache hit; see `VerificationHook`. */
  runVerification?: VerificationHook
  /** Called as each discovery, JWKS or introspection fetch starts; see `FetchHook`. */
  startFetch?: FetchHook
  /**
   * Called once when an authenticator is created with this instrumentation, so gauges can read
   * its caches. The function it may return is called by `authenticator.close()`.
   */
  attach?(authenticator: InstrumentedAuthenticator): (() => void) | void
}

/** What `Instrumentation.attach` may read of an authenticator. */
export interface InstrumentedAuthenticator {
  /** The validated options: issuers (and templates), cache sizes. */
  readonly options: ResolvedAuthenticateOptions
  /** What the bounded caches hold now. */
  stats(): AuthenticatorStats
  /** Verified-token cache hits and misses since creation. */
  tokenCacheLookups(): TokenCacheLookups
}
