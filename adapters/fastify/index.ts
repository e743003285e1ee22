import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import {
  asGuard,
  createAuthenticator,
  createBackchannelLogout,
  createGuardFactories,
  defineRequestView,
  guardFor,
  isOidcGuardError,
  type AuthContext,
  type AuthenticateOptions,
  type Authenticator,
  type BackchannelLogoutOptions,
  type RequestView,
  type Guard,
  type Requirement,
} from '../../src/index.js'

type Done = (error?: Error) => void

/** A Fastify hook (callback style), usable as `onRequest` or `preHandler`. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: Done) => void

/** What `config.auth` takes: authenticate, authenticate when a token is sent, or a requirement. */
export type RouteAuth = true | 'optional' | Requirement

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `fastify.authenticate`; null on routes that did not authenticate. */
    auth: AuthContext | null
  }
  interface FastifyInstance {
    /** The `onRequest` hook that verifies the bearer token; add it to routes that need it. */
    authenticate: AuthHook
    /** Like `authenticate`, but a request without a token passes with `request.auth` null. */
    authenticateOptional: AuthHook
    /** The core authenticator behind this plugin. */
    oidcGuard: Authenticator
  }
  interface FastifyContextConfig {
    /**
     * `true`: authenticate. `'optional'`: authenticate when a token is sent. A requirement:
     * authenticate, then check it (403 on denial).
     */
    auth?: RouteAuth
  }
}

const REQUEST = Symbol('oidc-guard.request')
type TaggedRequest = FastifyRequest & { [REQUEST]?: RequestView<FastifyRequest> | null }

// The core's view of a Fastify request, read lazily (the body does not exist yet in onRequest).
const FastifyRequestView = defineRequestView<FastifyRequest>({
  method: (request) => request.method,
  path: (request) => request.url.split('?', 1)[0],
  headers: (request) => request.headers,
  rawHeaders: (request) => request.raw.rawHeaders,
  query: (request) => request.query,
  body: (request) => request.body,
  params: (request) => request.params,
})

function fail(authenticator: Authenticator, error: unknown, reply: FastifyReply, done: Done) {
  // Forwarded, Fastify's error handler renders statusCode and headers itself.
  if (authenticator.options.forwardErrors || !isOidcGuardError(error)) return done(error as Error)
  reply.code(error.status).headers(error.headers).send(error.body)
}

/** Turns any core guard into a Fastify hook that answers 403 on denial. */
export function authorize(guard: Guard): AuthHook & Guard {
  function guardHook(request: FastifyRequest, reply: FastifyReply, done: Done) {
    const authRequest = (request as TaggedRequest)[REQUEST]
    if (authRequest == null) {
      return done(new Error(`${guard.description} runs only after fastify.authenticate`))
    }
    try {
      authRequest.authenticator.authorize(guard, request.auth ?? undefined, authRequest)
    } catch (error) {
      return fail(authRequest.authenticator, error, reply, done)
    }
    done()
  }
  return asGuard(guardHook, guard)
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

async function oidcGuardPlugin(fastify: FastifyInstance, options: AuthenticateOptions) {
  const authenticator = createAuthenticator(options)

  const hook = (credentialsRequired?: boolean): AuthHook =>
    function authenticateHook(request, reply, done) {
      const authRequest = new FastifyRequestView(request, authenticator)
      ;(request as TaggedRequest)[REQUEST] = authRequest
      // Synchronous for a remembered token: the hook completes without a promise.
      authenticator.handle(
        authRequest,
        (auth) => {
          request.auth = auth ?? null
          done()
        },
        (error) => fail(authenticator, error, reply, done),
        credentialsRequired,
      )
    }
  const authenticateHook = hook()
  const authenticateOptional = hook(false)

  fastify.decorateRequest('auth', null)
  // Declared up front so every request object keeps one shape.
  fastify.decorateRequest(REQUEST, null)
  fastify.decorate('oidcGuard', authenticator)
  fastify.decorate('authenticate', authenticateHook)
  fastify.decorate('authenticateOptional', authenticateOptional)
  // Declarative routes: `{ config: { auth: { scope: 'orders:write' } } }`. The requirement is
  // checked here, at registration, so a bad one fails startup.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const requirement = (route.config as { auth?: RouteAuth } | undefined)?.auth
    if (requirement === undefined) return
    const first = requirement === 'optional' ? authenticateOptional : authenticateHook
    route.onRequest = [first, ...asArray(route.onRequest)] as RouteOptions['onRequest']
    if (requirement === true || requirement === 'optional') return
    const guardHook = authorize(guardFor(requirement))
    route.preHandler = [...asArray(route.preHandler), guardHook] as RouteOptions['preHandler']
  })
  fastify.addHook('onClose', async () => authenticator.close())
}

/**
 * The Fastify plugin. It authenticates nothing by itself: routes opt in with
 * `{ onRequest: fastify.authenticate }` or `{ config: { auth: … } }`, so routes without either
 * stay public.
 * @example
 * await app.register(authenticate, { issuer, audience: 'orders-api' })
 * app.get('/orders', { onRequest: app.authenticate, preHandler: requireScope('orders:read') }, list)
 */
export const authenticate = fp(oidcGuardPlugin, { fastify: '5.x', name: 'oidc-guard/fastify' })
export default authenticate

/**
 * The OpenID Connect Back-Channel Logout 1.0 receiver, as an `onRequest` hook that answers
 * before Fastify parses the body (so no form parser is needed): validates the logout token,
 * revokes through the denylist, answers 200/400 with `Cache-Control: no-store`.
 * @example app.post('/backchannel-logout', { onRequest: backchannelLogout(options) }, () => {})
 */
export function backchannelLogout(options: BackchannelLogoutOptions) {
  const logout = createBackchannelLogout(options)
  return async function backchannelLogoutHook(request: FastifyRequest, reply: FastifyReply) {
    const answer = await logout.handle({ headers: request.headers, stream: request.raw })
    return reply.code(answer.status).headers(answer.headers).send(answer.body)
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
