import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  asGuard,
  createAuthenticator,
  createBackchannelLogout,
  createGuardFactories,
  isOidcGuardError,
  type AuthContext,
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

const AUTHENTICATOR = Symbol('oidc-guard.authenticator')
type TaggedRequest = Request & { [AUTHENTICATOR]?: Authenticator }

/** A guard usable as Express route middleware, and still a guard for `allOf`/`anyOf`/`not`. */
export type GuardMiddleware = RequestHandler & Guard

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
 * (or, with `forwardErrors`, passes the error to `next`).
 * @example app.use(authenticate({ issuer, audience: 'orders-api' }))
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const authenticator = createAuthenticator(options)
  return function authenticateMiddleware(req, res, next) {
    ;(req as TaggedRequest)[AUTHENTICATOR] = authenticator
    // Synchronous for a remembered token: no promise, no microtask on the hot path.
    authenticator.handle(
      req,
      (auth) => {
        req.auth = auth
        next()
      },
      (error) => fail(authenticator, error, res, next),
    )
  }
}

/** Turns any core guard into route middleware that answers 403 on denial. */
export function authorize(guard: Guard): GuardMiddleware {
  function guardMiddleware(req: Request, res: Response, next: NextFunction): void {
    const authenticator = (req as TaggedRequest)[AUTHENTICATOR]
    if (authenticator === undefined) {
      return next(new Error(`${guard.description} runs only after authenticate()`))
    }
    try {
      authenticator.authorize(guard, req.auth, req)
    } catch (error) {
      return fail(authenticator, error, res, next)
    }
    next()
  }
  return asGuard(guardMiddleware, guard)
}

/**
 * The OpenID Connect Back-Channel Logout 1.0 route: reads the form (parsed or not), validates
 * the logout token, revokes through the denylist, answers 200/400 with `Cache-Control: no-store`.
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
