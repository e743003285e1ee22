import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import {
  asGuard,
  authenticatorForGuard,
  createAuthenticator,
  createBackchannelLogout,
  createResourceMetadata,
  createGuardFactories,
  defineRequestView,
  isOidcGuardError,
  createRouteAuth,
  type AuthContext,
  type AuthenticateOptions,
  type Authenticator,
  type BackchannelLogoutOptions,
  type RequestView,
  type Guard,
  type RouteAuth,
} from '../../src/index.js'

type Done = (error?: Error) => void

/** A Fastify hook (callback style), usable as `onRequest` or `preHandler`. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: Done) => void

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `fastify.authenticate`; undefined without a token or on public routes. */
    auth: AuthContext | undefined
  }
  interface FastifyInstance {
    /** The `onRequest` hook that verifies the bearer token; add it to routes that need it. */
    authenticate: AuthHook
    /** Like `authenticate`, but a request without a token passes with `request.auth` undefined. */
    authenticateOptional: AuthHook
    /** The core authenticator behind this plugin. */
    oidcGuard: Authenticator
  }
  interface FastifyContextConfig {
    /**
     * `true`: authenticate. `'optional'`: authenticate when a token is sent. `false`: public.
     * A requirement: authenticate, then check it (403 on denial). A misspelt string is a
     * compile error; a misspelt requirement key fails at registration with a "did you mean".
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
  path: (request) => request.url.split('?', 1)[0],
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
    const auth = request.auth
    const authenticator = authenticatorForGuard(guard, authRequest, auth, 'fastify.authenticate')
    if (authenticator instanceof Error) return done(authenticator)
    try {
      authenticator.authorize(guard, auth, authRequest as RequestView<FastifyRequest>)
    } catch (error) {
      return fail(authenticator, error, reply, done)
    }
    done()
  }
  return asGuard(guardHook, guard)
}

/**
 * The plugin's options: the authenticator's, plus `waitForKeys: true` to make `fastify.ready()`
 * (and so `listen()`) fetch discovery and keys first and fail with the cause when they cannot
 * be had. Without it, `fastify.oidcGuard.ready()` does the same on demand.
 */
export type OidcGuardPluginOptions = AuthenticateOptions & { waitForKeys?: boolean }

async function oidcGuardPlugin(fastify: FastifyInstance, opts: OidcGuardPluginOptions) {
  const { waitForKeys, ...options } = opts
  const authenticator = createAuthenticator(options as AuthenticateOptions)
  if (waitForKeys) fastify.addHook('onReady', () => authenticator.ready())

  const hook = (credentialsRequired?: boolean): AuthHook =>
    function authenticateHook(request, reply, done) {
      const authRequest = new FastifyRequestView(request, authenticator)
      // Synchronous for a remembered token: the hook completes without a promise.
      authenticator.handle(
        authRequest,
        (auth) => {
          // Recorded only once let through: what a later guard checks the context against.
          authRequest.auth = auth
          ;(request as TaggedRequest)[REQUEST] = authRequest
          request.auth = auth
          done()
        },
        (error) => fail(authenticator, error, reply, done),
        credentialsRequired,
      )
    }

  const [authenticateHook, authenticateOptional] = [hook(), hook(false)]
  // undefined, as on Express and Koa: "no token" reads the same on every adapter.
  fastify.decorateRequest('auth', undefined)
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
  // Routes declared after the plugin: a bad setting fails startup. Others fail their requests
  // (Fastify answers the thrown ConfigurationError with 500), never pass.
  // RFC 9728: served when configured; scopes_supported collects the scopes of routes' guards.
  const metadata = options.resourceMetadata && createResourceMetadata(options)
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const { guard } = compile(route.config?.auth, route)
    metadata?.addGuards(route.onRequest, route.preHandler, guard)
  })
  fastify.addHook('onRequest', function routeAuthHook(request, reply, done) {
    const routeOptions = request.routeOptions
    const auth = routeOptions.config?.auth
    if (auth === undefined || auth === false) return done()
    const route = compile(auth, routeOptions)
    ;(request as TaggedRequest)[GUARD] = route.guard ?? null
    const first = route.authenticate === 'optional' ? authenticateOptional : authenticateHook
    first.call(this, request, reply, done)
  })
  fastify.addHook('preHandler', function routeGuardHook(request, reply, done) {
    const guardHook = (request as TaggedRequest)[GUARD]
    if (guardHook == null) return done()
    guardHook.call(this, request, reply, done)
  })
  if (metadata) fastify.get(metadata.path, async () => metadata.document())
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
 * revokes through the denylist (so every instance sharing it refuses those tokens), answers
 * 200/400 with `Cache-Control: no-store`.
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

/**
 * The request's AuthContext, or undefined. The same as `request.auth`, but typed without the
 * global augmentation, for code that must not depend on it.
 */
export const getAuth = (request: FastifyRequest): AuthContext | undefined => request.auth

export { createDenylist } from '../../src/index.js'
export type { AuthContext, AuthenticateOptions, Guard } from '../../src/index.js'
export type { Requirement, RouteAuth } from '../../src/index.js'
