import type { Decision } from './decision.js'
import {
  InsufficientScopeError,
  isOidcGuardError,
  MissingTokenError,
  type OidcGuardError,
} from './errors.js'
import type { DecisionEvent } from './events.js'
import { extractToken } from './extract-token.js'
import type { Guard } from './guards.js'
import { resolveOptions, type AuthenticateOptions, type ResolvedAuthenticateOptions } from './options.js'
import type { AuthContext, AuthRequest } from './types.js'
import { createVerifier, type AuthenticatorStats } from './verifier.js'

/** The core every adapter wraps: authenticate a request, then authorize it against guards. */
export interface Authenticator {
  readonly options: ResolvedAuthenticateOptions
  /**
   * Reads and verifies the request's bearer token. Resolves to its AuthContext, or to
   * `undefined` when there is no token and credentials are not required (the
   * `credentialsRequired` option, or this call's override).
   * @throws OidcGuardError (400, 401 or 503)
   */
  authenticate(request: AuthRequest, credentialsRequired?: boolean): Promise<AuthContext | undefined>
  /**
   * Evaluates a guard for an authenticated request and reports the decision.
   * @throws MissingTokenError (401) without an AuthContext, InsufficientScopeError (403) on denial.
   */
  authorize(guard: Guard, auth: AuthContext | undefined, request: AuthRequest): Decision
  /** What the bounded caches hold now (for monitoring and tests of the bounds). */
  stats(): AuthenticatorStats
  /** Drops cached keys and tokens. */
  close(): void
}

/**
 * Builds an authenticator from options, validated now: a bad option throws a
 * `ConfigurationError` at startup. No I/O happens until the first request.
 * @example
 * const auth = createAuthenticator({ issuer: 'https://idp.example.com', audience: 'orders-api' })
 * const context = await auth.authenticate({ method: 'GET', headers: req.headers })
 */
export function createAuthenticator(input: AuthenticateOptions): Authenticator {
  const options = resolveOptions(input)
  const verifier = createVerifier(options)
  const { onDecision, realm } = options

  function report(event: DecisionEvent): void {
    try {
      onDecision?.(event)
    } catch {
      // A failing logger must not change the answer.
    }
  }

  function reportFailure(request: AuthRequest, started: number, error: OidcGuardError): void {
    report({
      type: 'authenticate',
      allowed: false,
      reason: error.message,
      code: error.code,
      status: error.status,
      method: request.method,
      path: request.path,
      durationMs: performance.now() - started,
      timestamp: Date.now(),
    })
  }

  return {
    options,
    async authenticate(request, credentialsRequired = options.credentialsRequired) {
      const started = onDecision ? performance.now() : 0
      let auth: AuthContext
      try {
        const token = extractToken(request, options)
        if (token === undefined) {
          if (!credentialsRequired) return undefined
          throw new MissingTokenError(undefined, { realm })
        }
        auth = await verifier.verify(token)
      } catch (error) {
        if (onDecision && isOidcGuardError(error)) reportFailure(request, started, error)
        throw error
      }
      if (onDecision) {
        report({
          type: 'authenticate',
          allowed: true,
          reason: 'token verified',
          subject: auth.subject,
          issuer: auth.issuer,
          clientId: auth.clientId,
          method: request.method,
          path: request.path,
          durationMs: performance.now() - started,
          timestamp: Date.now(),
        })
      }
      return auth
    },
    authorize(guard, auth, request) {
      const started = onDecision ? performance.now() : 0
      if (auth === undefined) {
        const error = new MissingTokenError(undefined, { realm })
        if (onDecision) reportFailure(request, started, error)
        throw error
      }
      const decision = guard.evaluate(auth, request)
      const error = decision.allowed ? undefined : new InsufficientScopeError(decision, { realm })
      if (onDecision) {
        report({
          type: 'authorize',
          allowed: decision.allowed,
          guard: decision.guard,
          reason: decision.reason,
          code: error?.code,
          status: error?.status,
          missing: decision.missing,
          subject: auth.subject,
          issuer: auth.issuer,
          clientId: auth.clientId,
          method: request.method,
          path: request.path,
          durationMs: performance.now() - started,
          timestamp: Date.now(),
        })
      }
      if (error) throw error
      return decision
    },
    stats: () => verifier.stats(),
    close() {
      verifier.clear()
    },
  }
}
