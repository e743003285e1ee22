import type { Context, Middleware, Next } from 'koa'
import {
  asGuard,
  authenticatorForGuard,
  createAuthenticator,
  createBackchannelLogout,
  createResourceMetadata,
  createGuardFactories,
  defineRequestView,
  isOidcGuardError,
  withAuthenticator,
  type AuthContext,
  type AuthenticatorHandle,
  type AuthenticateOptions,
  type Authenticator,
  type BackchannelLogoutOptions,
  type RequestView,
  type Guard,
} from '../../src/index.js'

/** The state `authenticate()` adds; use it as `new Koa<AuthState>()` or `Router<AuthState>`. */
export interface AuthState {
  /** Set by `authenticate()`; undefined on optional routes without a token. */
  auth?: AuthContext
}

declare module 'koa' {
  interface DefaultState {
    auth?: AuthContext
  }
}

const REQUEST = Symbol('oidc-guard.request')

/** A guard usable as Koa middleware, and still a guard for `allOf`/`anyOf`/`not`. */
export type GuardMiddleware = Middleware & Guard

/** What `authenticate()` returns: the middleware, and its optional-auth twin. */
export type AuthenticateMiddleware = Middleware &
  AuthenticatorHandle & {
    /**
     * The same authenticator (same caches, same key fetches), but a request without a token
     * passes with `ctx.state.auth` undefined; a bad token is still refused.
     */
    readonly optional: Middleware
  }

// The core's view of a Koa request; query, body, params and path are read only when needed.
const KoaRequestView = defineRequestView<Context>({
  path: (ctx) => ctx.path,
  rawHeaders: (ctx) => ctx.req.rawHeaders,
  hostname: (ctx) => ctx.hostname,
  query: (ctx) => ctx.query,
  body: (ctx) => (ctx.request as { body?: unknown }).body,
})
type TaggedState = { [REQUEST]?: RequestView<Context> }

function fail(authenticator: Authenticator, error: unknown, ctx: Context): void {
  // Koa's own onerror renders status, headers and expose when errors are forwarded.
  if (authenticator.options.forwardErrors || !isOidcGuardError(error)) throw error
  ctx.status = error.status
  ctx.set(error.headers)
  ctx.body = error.body
}

/**
 * Middleware that verifies the bearer token and sets `ctx.state.auth`. Answers 400/401/503
 * itself (or, with `forwardErrors`, throws for Koa's error handling). `.optional` lets requests
 * without a token through, from the same authenticator; `await auth.ready()` fails fast at boot when the
 * keys cannot be had.
 * @example
 * const auth = authenticate({ issuer, audience: 'orders-api' })
 * router.get('/orders', auth, requireScope('orders:read'), list)
 * router.get('/catalog', auth.optional, catalog) // ctx.state.auth undefined without a token
 */
export function authenticate(options: AuthenticateOptions): AuthenticateMiddleware {
  const authenticator = createAuthenticator(options)
  const middleware = (credentialsRequired?: boolean): Middleware =>
    function authenticateMiddleware(ctx: Context, next: Next) {
      const request = new KoaRequestView(ctx, authenticator)
      // Synchronous for a remembered token: no extra promise on the hot path.
      return authenticator.handle<Promise<unknown> | void>(
        request,
        (auth) => {
          // Recorded only once let through: what a later guard checks the context against.
          request.auth = auth
          ;(ctx.state as TaggedState)[REQUEST] = request
          ctx.state.auth = auth
          return next()
        },
        (error) => fail(authenticator, error, ctx),
        credentialsRequired,
      )
    }
  return withAuthenticator(
    Object.assign(middleware(), { optional: middleware(false) }),
    authenticator,
  )
}

/** The context's AuthContext, or undefined; typed without the `DefaultState` declaration. */
export const getAuth = (ctx: Context): AuthContext | undefined =>
  (ctx.state as { auth?: AuthContext }).auth

/** Turns any core guard into Koa middleware that answers 403 on denial. */
export function authorize(guard: Guard): GuardMiddleware {
  function guardMiddleware(ctx: Context, next: Next) {
    const request = (ctx.state as TaggedState)[REQUEST]
    const auth = ctx.state.auth
    const authenticator = authenticatorForGuard(guard, request, auth, 'authenticate()')
    if (authenticator instanceof Error) return Promise.reject(authenticator)
    try {
      authenticator.authorize(guard, auth, request as RequestView<Context>)
    } catch (error) {
      return Promise.resolve(fail(authenticator, error, ctx))
    }
    return next()
  }
  return asGuard(guardMiddleware, guard)
}

/**
 * Middleware serving the protected resource metadata (RFC 9728) of these options at
 * `/.well-known/oauth-protected-resource` (plus the resource's path); `scopes_supported` comes
 * from `resourceMetadata.scopesSupported` or the guards given.
 * @example app.use(protectedResourceMetadata(options, requireScope('orders:read')))
 */
export function protectedResourceMetadata(
  options: AuthenticateOptions,
  ...guards: Guard[]
): Middleware {
  const metadata = createResourceMetadata(options, ...guards)
  return function resourceMetadataMiddleware(ctx: Context, next: Next) {
    const answer = metadata.respond(ctx.method, ctx.originalUrl)
    if (answer === undefined) return next()
    ctx.status = answer.status
    ctx.set(answer.headers)
    ctx.body = answer.body
  }
}

/**
 * The OpenID Connect Back-Channel Logout 1.0 route: reads the form (parsed or not), validates
 * the logout token, revokes through the denylist (so every instance sharing it refuses those
 * tokens), answers 200/400 with `Cache-Control: no-store`.
 * @example router.post('/backchannel-logout', backchannelLogout({ issuer, clientId, denylist }))
 */
export function backchannelLogout(options: BackchannelLogoutOptions): Middleware {
  const logout = createBackchannelLogout(options)
  return async function backchannelLogoutMiddleware(ctx: Context) {
    const body = (ctx.request as { body?: unknown }).body
    const answer = await logout.handle({ headers: ctx.headers, body, stream: ctx.req })
    ctx.status = answer.status
    ctx.set(answer.headers)
    ctx.body = answer.body
  }
}

export const {
  /** {@inheritDoc src!requireScope} */
  requireScope,
  /** {@inheritDoc src!requireAnyScope} */
  requireAnyScope,
  /** {@inheritDoc src!requireRole} */
  requireRole,
  /** {@inheritDoc src!requireAnyRole} */
  requireAnyRole,
  /** {@inheritDoc src!requirePermission} */
  requirePermission,
  /** {@inheritDoc src!requireAnyPermission} */
  requireAnyPermission,
  /** {@inheritDoc src!requireGroup} */
  requireGroup,
  /** {@inheritDoc src!requireAnyGroup} */
  requireAnyGroup,
  /** {@inheritDoc src!requireClaim} */
  requireClaim,
  /** {@inheritDoc src!requireTenant} */
  requireTenant,
  /** {@inheritDoc src!requireClaimMatches} */
  requireClaimMatches,
  /** {@inheritDoc src!requireAcr} */
  requireAcr,
  /** {@inheritDoc src!requireAuthTime} */
  requireAuthTime,
  /** {@inheritDoc src!requireDpop} */
  requireDpop,
  /** {@inheritDoc src!allOf} */
  allOf,
  /** {@inheritDoc src!anyOf} */
  anyOf,
  /** {@inheritDoc src!not} */
  not,
  /** {@inheritDoc src!guardFor} */
  guard,
  /** {@inheritDoc src!createPolicyGuard} */
  enforcePolicy,
  /** {@inheritDoc src!createActionGuard} */
  requireAction,
} = createGuardFactories(authorize)

export { createDenylist } from '../../src/index.js'
export type { AuthContext, AuthenticateOptions, Guard, Requirement } from '../../src/index.js'
