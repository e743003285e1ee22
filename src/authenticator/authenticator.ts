import { andThen } from '../maybe-async.js'
import type { Decision } from '../errors/decision.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import {
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidTokenError,
  isOidcGuardError,
  KeySetUnavailableError,
  MissingTokenError,
  type OidcGuardError,
} from '../errors/errors.js'
import {
  createBindingStep,
  presentationScheme,
  type PresentationScheme,
} from '../binding/binding.js'
import { summarizeToken } from '../verify/token-summary.js'
import type { DecisionEvent } from './decision-event.js'
import { holdTickObjectShape } from './tick-object-shape.js'
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
import { pinPolicy } from '../policy/policy.js'
import { policyEventFields } from '../policy/policy-event.js'
import type { PolicyGuard } from '../policy/policy-guard.js'
import type { Denylist, RevocationTarget, RevokeOptions } from '../revocation/denylist.js'
import { createRevocationStage } from '../revocation/revocation-stage.js'

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
  /** The denylist every request is checked against (the `denylist` option, or this one's own). */
  readonly denylist: Denylist
  /**
   * Refuses a token, subject, session or client from now on, on every instance sharing the
   * denylist's store: `denylist.revoke()`.
   * @example await authenticator.revoke({ sub: 'user-42' })
   */
  revoke(target: RevocationTarget, options?: RevokeOptions): Promise<void>
  /** What the bounded caches hold now (for monitoring and tests of the bounds). */
  stats(): AuthenticatorStats
  /**
   * Fails fast at boot: resolves once discovery and keys are at hand for every configured issuer
   * (issuer templates aside: their tenants are known only per request), fetching them now if
   * needed. Rejects with the `KeySetUnavailableError` whose `cause` says what failed.
   * @example await authenticator.ready() // before app.listen()
   */
  ready(): Promise<void>
  /**
   * Drops cached keys and tokens, cancels fetches in flight (they install nothing afterwards)
   * and leaves no timer or socket behind: the process can exit on its own.
   */
  close(): void
}

/**
 * What an adapter records on a request that `authenticate` let through: by which authenticator,
 * and the very context it gave this request (`undefined`: let through without a token).
 */
export interface Authenticated {
  readonly authenticator: Authenticator
  readonly auth: AuthContext | undefined
}

/**
 * The authenticator a guard answers with, for adapters: the one recorded on this request
 * (`null` or `undefined`: none). An Error (a server error: the route or the app is wrong, never a
 * pass) when `authenticate` did not let this request through, or when the request's context is
 * not, by identity, the one it gave this request (edited or replaced by other code, or saved
 * from another request).
 * @param authenticateName how the adapter's authenticate step is named in the message
 */
export function authenticatorForGuard(
  guard: Guard,
  recorded: Authenticated | null | undefined,
  auth: AuthContext | undefined,
  authenticateName: string,
): Authenticator | Error {
  if (recorded == null) return new Error(`${guard.description} runs only after ${authenticateName}`)
  if (auth !== recorded.auth)
    return new Error(
      `${guard.description}: the request's AuthContext is not the one ${authenticateName} ` +
        'gave it (replaced or edited by other code; add data with the permissions option)',
    )
  return recorded.authenticator
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
  // Node's own per-request `nextTick`s stay on V8's fast path (tick-object-shape.ts says why).
  holdTickObjectShape()
  const verifier = createVerifier(options)
  // After verification, cache hits included: a remembered token is never let through revoked.
  const revocation = createRevocationStage(options)
  const { onDecision, realm, policy, instrumentation: hooks } = options
  // Either listener makes a decision worth reporting; with neither, the hot path skips it all.
  const observed = onDecision !== undefined || hooks !== undefined
  const detach = hooks?.attach?.({
    options,
    stats: () => verifier.stats(),
    tokenCacheLookups: () => verifier.lookups(),
  })
  const binding = createBindingStep(options, realm)
  const extractOptions = { ...options, acceptDpop: binding.dpop }

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

  // Observability never decides a request: a throwing hook is ignored. One function per hook,
  // called with its arguments, so a request allocates no closure for it.
  function notifyDenied(
    error: OidcGuardError,
    request: AuthRequest,
    guard?: Guard,
    auth?: AuthContext,
  ): void {
    try {
      hooks?.onDenied?.(error, request, guard, auth)
    } catch {
      // The answer stands.
    }
  }

  function notifyAuthenticated(auth: AuthContext, request: AuthRequest): void {
    try {
      hooks?.onAuthenticated?.(auth, request)
    } catch {
      // The answer stands.
    }
  }

  function notifyAuthorized(guard: Guard, auth: AuthContext, request: AuthRequest): void {
    try {
      hooks?.onAuthorized?.(guard, auth, request)
    } catch {
      // The answer stands.
    }
  }

  function reportFailure(
    request: AuthRequest,
    started: number,
    error: OidcGuardError,
    token?: string,
    guard?: Guard,
  ): void {
    if (hooks?.onDenied) notifyDenied(error, request, guard)
    if (!onDecision) return
    const { message: reason, code, status } = error
    // Parsed again only here, on a failure with a listener: the hot path never pays for it.
    const unverified = token !== undefined && status !== 400 ? summarizeToken(token) : undefined
    const cause = error instanceof KeySetUnavailableError ? error.failure : undefined
    report(request, started, {
      type: 'authenticate',
      allowed: false,
      reason,
      code,
      status,
      ...(cause && { cause }),
      ...(unverified && { unverified }),
    })
  }

  function reportSuccess(request: AuthRequest, started: number, auth: AuthContext): AuthContext {
    if (hooks?.onAuthenticated) notifyAuthenticated(auth, request)
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
    // Every decision this request makes uses the version running when it arrived.
    if (policy) pinPolicy(request, policy)
    let result: AuthContext | Promise<AuthContext>
    let scheme: PresentationScheme = 'Bearer'
    let token: string | undefined
    try {
      token = extractToken(request, extractOptions)
      if (token === undefined) {
        if (!credentialsRequired) return undefined
        throw new MissingTokenError(undefined, { realm })
      }
      scheme = presentationScheme(request, binding.dpop)
      const checked = andThen(verifier.verify(token), revocation.check)
      // The binding step: after verification, before guards (RFC 9449 §7, RFC 8705 §3). Called
      // directly when the token was remembered: a cache hit allocates no closure for it.
      result =
        checked instanceof Promise
          ? checked.then((auth) => binding.check(auth, request, scheme))
          : binding.check(checked, request, scheme)
    } catch (error) {
      binding.decorate(error, scheme)
      if (observed && isOidcGuardError(error)) reportFailure(request, started, error, token)
      throw error
    }
    if (!(result instanceof Promise))
      return observed ? reportSuccess(request, started, result) : result
    return result.then(
      observed ? (auth) => reportSuccess(request, started, auth) : undefined,
      (error: unknown) => {
        binding.decorate(error, scheme)
        if (observed && isOidcGuardError(error)) reportFailure(request, started, error, token)
        throw error
      },
    )
  }

  // A denial: 403, or 401 when a stronger login (RFC 9470 §3) or a DPoP-bound token would do.
  function denial(decision: Decision, request: AuthRequest): OidcGuardError {
    const scheme = presentationScheme(request, binding.dpop)
    if (decision.stepUp !== undefined)
      return binding.decorate(new InsufficientUserAuthenticationError(decision, { realm }), scheme)
    if (decision.dpopRequired)
      return binding.decorate(new InvalidTokenError(DESCRIPTIONS.dpopRequired, { realm }), 'DPoP')
    return binding.decorate(new InsufficientScopeError(decision, { realm }), scheme)
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
        const error = binding.decorate(new MissingTokenError(undefined, { realm }), 'Bearer')
        if (observed) reportFailure(request, started, error, undefined, guard)
        throw error
      }
      const decidePolicy = (guard as Partial<PolicyGuard>).decidePolicy
      const outcome = decidePolicy?.(auth, request)
      const decision = outcome ? outcome.decision : guard.evaluate(auth, request)
      const pass = outcome?.pass === true
      const error = decision.allowed || pass ? undefined : denial(decision, request)
      if (error !== undefined) {
        if (hooks?.onDenied) notifyDenied(error, request, guard, auth)
      } else if (hooks?.onAuthorized) notifyAuthorized(guard, auth, request)
      if (onDecision) {
        const { guard: guardName, reason, missing } = decision
        const event = {
          type: 'authorize' as const,
          allowed: decision.allowed || pass,
          guard: guardName,
          reason: pass ? `${reason}; passed through (unbound: 'pass')` : reason,
          missing,
          ...(outcome && policyEventFields(outcome, auth, request)),
        }
        report(
          request,
          started,
          error ? { ...event, code: error.code, status: error.status } : event,
          auth,
        )
      }
      if (error) throw error
      return decision
    },
    denylist: revocation.denylist,
    revoke: (target, revokeOptions) => revocation.denylist.revoke(target, revokeOptions),
    stats: () => verifier.stats(),
    ready: () => verifier.ready(),
    close() {
      verifier.clear()
      revocation.close()
      if (typeof detach === 'function') detach()
    },
  }
}

/** What Express and Koa `authenticate()` middleware carries besides being middleware. */
export interface AuthenticatorHandle {
  /** The authenticator behind the middleware (its `stats()`, `close()`). */
  readonly authenticator: Authenticator
  /**
   * Fails fast at boot: see `Authenticator.ready()`.
   * @example const auth = authenticate(options); await auth.ready(); app.use(auth)
   */
  ready(): Promise<void>
}

/** Attaches `authenticator` and `ready()` to an adapter's middleware function. */
export function withAuthenticator<T extends object>(
  middleware: T,
  authenticator: Authenticator,
): T & AuthenticatorHandle {
  return Object.assign(middleware, { authenticator, ready: () => authenticator.ready() })
}
