import type { Context, Middleware, Next } from 'koa'
import {
  asGuard,
  createAuthenticator,
  createGuardFactories,
  isOidcGuardError,
  type AuthContext,
  type AuthenticateOptions,
  type Authenticator,
  type AuthRequest,
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

const AUTHENTICATOR = Symbol('oidc-guard.authenticator')
const REQUEST = Symbol('oidc-guard.request')
type TaggedContext = Context & { [AUTHENTICATOR]?: Authenticator; [REQUEST]?: AuthRequest }

/** A guard usable as Koa middleware, and still a guard for `allOf`/`anyOf`/`not`. */
export type GuardMiddleware = Middleware & Guard

// Query and body are read lazily: the core touches them only when `tokenLocations` asks.
function toRequest(ctx: Context): AuthRequest {
  return {
    method: ctx.method,
    path: ctx.path,
    headers: ctx.headers,
    rawHeaders: ctx.req.rawHeaders,
    get query() {
      return ctx.query
    },
    get body() {
      return (ctx.request as { body?: unknown }).body
    },
    get params() {
      return (ctx as { params?: unknown }).params
    },
  }
}

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
  return async function authenticateMiddleware(ctx: Context, next: Next) {
    const tagged = ctx as TaggedContext
    const request = toRequest(ctx)
    tagged[AUTHENTICATOR] = authenticator
    tagged[REQUEST] = request
    try {
      ctx.state.auth = await authenticator.authenticate(request)
    } catch (error) {
      return fail(authenticator, error, ctx)
    }
    await next()
  }
}

/** Turns any core guard into Koa middleware that answers 403 on denial. */
export function authorize(guard: Guard): GuardMiddleware {
  async function guardMiddleware(ctx: Context, next: Next) {
    const { [AUTHENTICATOR]: authenticator, [REQUEST]: request } = ctx as TaggedContext
    if (authenticator === undefined || request === undefined) {
      throw new Error(`${guard.description} runs only after authenticate()`)
    }
    try {
      authenticator.authorize(guard, ctx.state.auth, request)
    } catch (error) {
      return fail(authenticator, error, ctx)
    }
    await next()
  }
  return asGuard(guardMiddleware, guard)
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

export type { AuthContext, AuthenticateOptions, Guard, Requirement } from '../../src/index.js'
