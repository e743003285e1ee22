import type { Decision } from '../errors/decision.js'
import {
  InsufficientScopeError,
  isOidcGuardError,
  MissingTokenError,
  type OidcGuardError,
} from '../errors/errors.js'
import type { DecisionEvent } from './decision-event.js'
import { extractToken } from '../http/extract-token.js'
import type { Guard } from '../guards/guard.js'
import {
  resolveOptions,
  type AuthenticateOptions,
  type ResolvedAuthenticateOptions,
} from '../config/options.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import { createVerifier, type AuthenticatorStats } from '../verify/verifier.js'

/** The core every adapter wraps: authenticate a request, then authorize it against guards. */
export interface Authenticator {
  readonly options: ResolvedAuthenticateOptions
  /**
   * Reads and verifies the request's bearer token. Resolves to its AuthContext, or to
   * `undefined` when there is no token and credentials are not required (the
   * `credentialsRequired` option, or this call's override).
   * @throws OidcGuardError (400, 401 or 503)
   */
  authenticate(
    request: AuthRequest,
    credentialsRequired?: boolean,
  ): Promise<AuthContext | undefined>
  /**
   * Like `authenticate`, but answers synchronously when it can: a token found in the
   * verified-token cache, a request without a token, or a malformed one (thrown). Only a token
   * that must be verified returns a promise. Adapters use it so a cache hit costs no async hop.
   */
  resolve(
    request: AuthRequest,
    credentialsRequired?: boolean,
  ): AuthContext | undefined | Promise<AuthContext | undefined>
  /**
   * `resolve` for adapters, with the branching done once here: calls `onAuth` with the context
   * (synchronously when the token is remembered) or `onError` with the failure, and returns
   * what they return (a promise when verification had to run).
   */
  handle<R>(
    request: AuthRequest,
    onAuth: (auth: AuthContext | undefined) => R,
    onError: (error: unknown) => R,
    credentialsRequired?: boolean,
  ): R | Promise<R>
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
  const { onDecision, realm, instrumentation: hooks } = options
  const detach = hooks?.attach?.({
    options,
    stats: () => verifier.stats(),
    tokenCacheLookups: () => verifier.lookups(),
  })

  type Outcome = Pick<DecisionEvent, 'type' | 'allowed' | 'reason'> & Partial<DecisionEvent>

  // Adds who, where and how long to an outcome; called only when onDecision is set.
  function report(
    request: AuthRequest,
    started: number,
    outcome: Outcome,
    auth?: AuthContext,
  ): void {
    try {
      onDecision?.({
        ...outcome,
        ...(auth && { subject: auth.subject, issuer: auth.issuer, clientId: auth.clientId }),
        method: request.method,
        path: request.path,
        durationMs: performance.now() - started,
        timestamp: Date.now(),
      })
    } catch {
      // A failing logger must not change the answer.
    }
  }

  function notifyDenied(error: OidcGuardError, request: AuthRequest, guard?: Guard): void {
    try {
      hooks?.onDenied?.(error, request, guard)
    } catch {
      // Observability never decides a request.
    }
  }

  function reportFailure(
    request: AuthRequest,
    started: number,
    error: OidcGuardError,
    guard?: Guard,
  ): void {
    if (hooks?.onDenied) notifyDenied(error, request, guard)
    if (!onDecision) return
    const { message: reason, code, status } = error
    report(request, started, { type: 'authenticate', allowed: false, reason, code, status })
  }

  function reportSuccess(request: AuthRequest, started: number, auth: AuthContext): AuthContext {
    if (hooks?.onAuthenticated) {
      try {
        hooks.onAuthenticated(auth, request)
      } catch {
        // Observability never decides a request.
      }
    }
    if (!onDecision) return auth
    report(
      request,
      started,
      { type: 'authenticate', allowed: true, reason: 'token verified' },
      auth,
    )
    return auth
  }

  function resolve(
    request: AuthRequest,
    credentialsRequired = options.credentialsRequired,
  ): AuthContext | undefined | Promise<AuthContext | undefined> {
    const started = onDecision ? performance.now() : 0
    let result: AuthContext | Promise<AuthContext>
    try {
      const token = extractToken(request, options)
      if (token === undefined) {
        if (!credentialsRequired) return undefined
        throw new MissingTokenError(undefined, { realm })
      }
      result = verifier.verify(token)
    } catch (error) {
      if ((onDecision || hooks) && isOidcGuardError(error)) reportFailure(request, started, error)
      throw error
    }
    if (!(result instanceof Promise))
      return onDecision || hooks ? reportSuccess(request, started, result) : result
    if (!onDecision && !hooks) return result
    return result.then(
      (auth) => reportSuccess(request, started, auth),
      (error: unknown) => {
        if (isOidcGuardError(error)) reportFailure(request, started, error)
        throw error
      },
    )
  }

  return {
    options,
    resolve,
    handle(request, onAuth, onError, credentialsRequired) {
      let result: AuthContext | undefined | Promise<AuthContext | undefined>
      try {
        result = resolve(request, credentialsRequired)
      } catch (error) {
        return onError(error)
      }
      return result instanceof Promise ? result.then(onAuth, onError) : onAuth(result)
    },
    async authenticate(request, credentialsRequired) {
      return resolve(request, credentialsRequired)
    },
    authorize(guard, auth, request) {
      const started = onDecision ? performance.now() : 0
      if (auth === undefined) {
        const error = new MissingTokenError(undefined, { realm })
        if (onDecision || hooks) reportFailure(request, started, error, guard)
        throw error
      }
      const decision = guard.evaluate(auth, request)
      const error = decision.allowed ? undefined : new InsufficientScopeError(decision, { realm })
      if (error !== undefined) {
        if (hooks?.onDenied) notifyDenied(error, request, guard)
      } else if (hooks?.onAuthorized) {
        try {
          hooks.onAuthorized(guard, auth, request)
        } catch {
          // Observability never decides a request.
        }
      }
      if (onDecision) {
        const { allowed, guard: guardName, reason, missing } = decision
        const outcome = { type: 'authorize' as const, allowed, guard: guardName, reason, missing }
        report(
          request,
          started,
          error ? { ...outcome, code: error.code, status: error.status } : outcome,
          auth,
        )
      }
      if (error) throw error
      return decision
    },
    stats: () => verifier.stats(),
    close() {
      verifier.clear()
      if (typeof detach === 'function') detach()
    },
  }
}
