import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  asGuard,
  authenticatorForGuard,
  createAuthenticator,
  createBackchannelLogout,
  createResourceMetadata,
  createGuardFactories,
  isOidcGuardError,
  withAuthenticator,
  type AuthContext,
  type Authenticated,
  type AuthenticatorHandle,
  type AuthenticateOptions,
  type Authenticator,
  type BackchannelLogoutOptions,
  type Guard,
} from '../../src/index.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `authenticate()`; undefined on optional routes without a token. */
      auth?: AuthContext
    }
  }
}

// Which authenticator let this request through, with which context: in `res.locals` (Express's
// per-request object, invisible to templates under a symbol), not on `req`, where a second
// property besides `req.auth` measured about 3% of a cached request (bench/FLOOR-GAP.md, §5).
const AUTHENTICATED = Symbol('oidc-guard.authenticated')
type Locals = { [AUTHENTICATED]?: Authenticated }
const localsOf = (res: Response): Locals => (res.locals ??= Object.create(null)) as Locals

/** A guard usable as Express route middleware, and still a guard for `allOf`/`anyOf`/`not`. */
export type GuardMiddleware = RequestHandler & Guard

/** What `authenticate()` returns: the middleware, and its optional-auth twin. */
export type AuthenticateMiddleware = RequestHandler &
  AuthenticatorHandle & {
    /**
     * The same authenticator (same caches, same key fetches), but a request without a token
     * passes with `req.auth` undefined; a bad token is still refused.
     */
    readonly optional: RequestHandler
  }

function fail(
  authenticator: Authenticator,
  error: unknown,
  res: Response,
  next: NextFunction,
): void {
  if (authenticator.options.forwardErrors || !isOidcGuardError(error)) return next(error)
  res.status(error.status).set(error.headers).json(error.body)
}

/**
 * Middleware that verifies the bearer token and sets `req.auth`. Answers 400/401/503 itself
 * (or, with `forwardErrors`, passes the error to `next`). `.optional` lets requests without a
 * token through, from the same authenticator; `await auth.ready()` fails fast at boot when the
 * keys cannot be had.
 * @example
 * const auth = authenticate({ issuer, audience: 'orders-api' })
 * app.get('/orders', auth, requireScope('orders:read'), list)
 * app.get('/catalog', auth.optional, catalog) // req.auth undefined without a token
 */
export function authenticate(options: AuthenticateOptions): AuthenticateMiddleware {
  const authenticator = createAuthenticator(options)
  const middleware = (credentialsRequired?: boolean): RequestHandler =>
    function authenticateMiddleware(req, res, next) {
      // Synchronous for a remembered token: no promise, no microtask on the hot path.
      authenticator.handle(
        req,
        (auth) => {
          localsOf(res)[AUTHENTICATED] = { authenticator, auth }
          req.auth = auth
          next()
        },
        (error) => fail(authenticator, error, res, next),
        credentialsRequired,
      )
    }
  return withAuthenticator(
    Object.assign(middleware(), { optional: middleware(false) }),
    authenticator,
  )
}

/**
 * The request's AuthContext, or undefined. Typed on its own, not through the global
 * `req.auth` declaration: use it where another library also declares `req.auth` (e.g. while
 * migrating from express-oauth2-jwt-bearer route by route).
 */
export const getAuth = (req: Request): AuthContext | undefined =>
  (req as { auth?: AuthContext }).auth

/** Turns any core guard into route middleware that answers 403 on denial. */
export function authorize(guard: Guard): GuardMiddleware {
  function guardMiddleware(req: Request, res: Response, next: NextFunction): void {
    const auth = req.auth
    const recorded = (res.locals as Locals | undefined)?.[AUTHENTICATED]
    const authenticator = authenticatorForGuard(guard, recorded, auth, 'authenticate()')
    if (authenticator instanceof Error) return next(authenticator)
    try {
      authenticator.authorize(guard, auth, req)
    } catch (error) {
      return fail(authenticator, error, res, next)
    }
    next()
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
): RequestHandler {
  const metadata = createResourceMetadata(options, ...guards)
  return function resourceMetadataMiddleware(req, res, next) {
    const answer = metadata.respond(req.method, req.originalUrl)
    if (answer === undefined) return next()
    res.status(answer.status).set(answer.headers).send(answer.body)
  }
}

/**
 * The OpenID Connect Back-Channel Logout 1.0 route: reads the form (parsed or not), validates
 * the logout token, revokes through the denylist (so every instance sharing it refuses those
 * tokens), answers 200/400 with `Cache-Control: no-store`.
 * @example app.post('/backchannel-logout', backchannelLogout({ issuer, clientId, denylist }))
 */
export function backchannelLogout(options: BackchannelLogoutOptions): RequestHandler {
  const logout = createBackchannelLogout(options)
  return function backchannelLogoutHandler(req, res, next) {
    logout
      .handle({ headers: req.headers, body: req.body, stream: req })
      .then((answer) => void res.status(answer.status).set(answer.headers).send(answer.body), next)
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
