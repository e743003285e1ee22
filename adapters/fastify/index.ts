import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { asGuard, createAuthenticator, createGuardFactories } from '../../src/index.js'
import { createRouteAuth, defineRequestView, isOidcGuardError } from '../../src/index.js'
import type { AuthContext, AuthenticateOptions, Authenticator } from '../../src/index.js'
import type { Guard, RequestView, RouteAuth } from '../../src/index.js'

type Done = (error?: Error) => void

/** A Fastify hook (callback style), usable as `onRequest` or `preHandler`. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: Done) => void

type RouteConfig = { auth?: RouteAuth }

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
const GUARD = Symbol('oidc-guard.route-guard')
type Tags = { [REQUEST]?: RequestView<FastifyRequest> | null; [GUARD]?: AuthHook | null }
type TaggedRequest = FastifyRequest & Tags

// The core's view of a Fastify request, read lazily (the body does not exist yet in onRequest).
const FastifyRequestView = defineRequestView<FastifyRequest>({
  method: (request) => request.method,
  path: (request) => request.url.split('?', 1)[0],
  headers: (request) => request.headers,
  rawHeaders: (request) => request.raw.rawHeaders,
  hostname: (request) => request.hostname,
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
  const [authenticateHook, authenticateOptional] = [hook(), hook(false)]

  fastify.decorateRequest('auth', null)
  // Declared up front so every request object keeps one shape.
  fastify.decorateRequest(REQUEST, null)
  fastify.decorateRequest(GUARD, null)
  fastify.decorate('oidcGuard', authenticator)
  fastify.decorate('authenticate', authenticateHook)
  fastify.decorate('authenticateOptional', authenticateOptional)

  // Declarative routes: `{ config: { auth: { scope: 'orders:write' } } }`. Lifecycle hooks reach
  // every route of this context and its children whatever the order of registration (a route
  // declared before the plugin, an un-awaited register, a plugin registered earlier), which
  // `onRoute` cannot: a security annotation must never be silently skipped.
  const compile = createRouteAuth(authorize)
  // Routes declared after the plugin: a bad requirement fails startup. Others fail their
  // requests (Fastify turns the thrown ConfigurationError into a 500), never pass.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const auth = (route.config as RouteConfig | undefined)?.auth
    if (auth !== undefined) compile(auth)
  })
  fastify.addHook('onRequest', function routeAuthHook(request, reply, done) {
    const auth = (request.routeOptions.config as RouteConfig).auth
    if (auth === undefined) return done()
    const route = compile(auth)
    ;(request as TaggedRequest)[GUARD] = route.guard ?? null
    ;(route.optional ? authenticateOptional : authenticateHook).call(this, request, reply, done)
  })
  fastify.addHook('preHandler', function routeGuardHook(request, reply, done) {
    const guardHook = (request as TaggedRequest)[GUARD]
    if (guardHook == null) return done()
    guardHook.call(this, request, reply, done)
  })
  fastify.addHook('onClose', async () => authenticator.close())
}

/**
 * The Fastify plugin. It authenticates nothing by itself: routes opt in with
 * `{ onRequest: fastify.authenticate }` or `{ config: { auth: … } }`, so routes without either
 * stay public. `config.auth` is honoured on every route of the context the plugin is registered
 * in (the root, unless you register it inside a plugin) and its children, in any order.
 * @example
 * await app.register(authenticate, { issuer, audience: 'orders-api' })
 * app.get('/orders', { onRequest: app.authenticate, preHandler: requireScope('orders:read') }, list)
 */
export const authenticate = fp(oidcGuardPlugin, { fastify: '5.x', name: 'oidc-guard/fastify' })
export default authenticate

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

export type { AuthContext, AuthenticateOptions, Guard } from '../../src/index.js'
export type { Requirement, RouteAuth } from '../../src/index.js'
