import type { Context, Middleware, Next } from 'koa'
import {
  asGuard,
  createAuthenticator,
  createBackchannelLogout,
  createGuardFactories,
  defineRequestView,
  isOidcGuardError,
  type AuthContext,
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

// The core's view of a Koa request; query, body, params and path are read only when needed.
const KoaRequestView = defineRequestView<Context>({
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
  headers: (ctx) => ctx.headers,
  rawHeaders: (ctx) => ctx.req.rawHeaders,
  query: (ctx) => ctx.query,
  body: (ctx) => (ctx.request as { body?: unknown }).body,
  params: (ctx) => (ctx as { params?: unknown }).params,
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
 * itself (or, with `forwardErrors`, throws for Koa's error handling).
 * @example app.use(authenticate({ issuer, audience: 'orders-api' }))
 */
export function authenticate(options: AuthenticateOptions): Middleware {
  const authenticator = createAuthenticator(options)
  return function authenticateMiddleware(ctx: Context, next: Next) {
    const request = new KoaRequestView(ctx, authenticator)
    ;(ctx.state as TaggedState)[REQUEST] = request
    // Synchronous for a remembered token: no extra promise on the hot path.
    return authenticator.handle<Promise<unknown> | void>(
      request,
      (auth) => {
        ctx.state.auth = auth
        return next()
      },
      (error) => fail(authenticator, error, ctx),
    )
  }
}

/** Turns any core guard into Koa middleware that answers 403 on denial. */
export function authorize(guard: Guard): GuardMiddleware {
  function guardMiddleware(ctx: Context, next: Next) {
    const request = (ctx.state as TaggedState)[REQUEST]
    if (request === undefined) {
      return Promise.reject(new Error(`${guard.description} runs only after authenticate()`))
    }
    try {
      request.authenticator.authorize(guard, ctx.state.auth, request)
    } catch (error) {
      return Promise.resolve(fail(request.authenticator, error, ctx))
    }
    return next()
  }
  return asGuard(guardMiddleware, guard)
}

/**
 * The OpenID Connect Back-Channel Logout 1.0 route: reads the form (parsed or not), validates
 * the logout token, revokes through the denylist, answers 200/400 with `Cache-Control: no-store`.
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
  requireScope,
  requireAnyScope,
  requireRole,
  requireAnyRole,
  requirePermission,
  requireAnyPermission,
  requireGroup,
  requireAnyGroup,
  requireClaim,
  requireTenant,
  requireClaimMatches,
  allOf,
  anyOf,
  not,
  guard,
} = createGuardFactories(authorize)

export { createDenylist } from '../../src/index.js'
export type { AuthContext, AuthenticateOptions, Guard, Requirement } from '../../src/index.js'
