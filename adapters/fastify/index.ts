import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import {
  asGuard,
  createAuthenticator,
  createGuardFactories,
  guardFor,
  isOidcGuardError,
  type AuthContext,
  type AuthenticateOptions,
  type Authenticator,
  type AuthRequest,
  type Guard,
  type Requirement,
} from '../../src/index.js'

/** An async Fastify hook, usable as `onRequest` or `preHandler`. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

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
    auth?: true | 'optional' | Requirement
  }
}

const REQUEST = Symbol('oidc-guard.request')
type TaggedRequest = FastifyRequest & { [REQUEST]?: AuthRequest }

// Query, body and params are read lazily; the body does not even exist yet in onRequest.
function toRequest(request: FastifyRequest): AuthRequest {
  return {
    method: request.method,
    get path() {
      return request.url.split('?', 1)[0]
    },
    headers: request.headers,
    rawHeaders: request.raw.rawHeaders,
    get query() {
      return request.query
    },
    get body() {
      return request.body
    },
    get params() {
      return request.params
    },
  }
}

function fail(authenticator: Authenticator, error: unknown, reply: FastifyReply): FastifyReply {
  // Fastify's error handler renders statusCode and headers when errors are forwarded.
  if (authenticator.options.forwardErrors || !isOidcGuardError(error)) throw error
  return reply.code(error.status).headers(error.headers).send(error.body)
}

/** Turns any core guard into a Fastify hook that answers 403 on denial. */
export function authorize(guard: Guard): AuthHook & Guard {
  async function guardHook(request: FastifyRequest, reply: FastifyReply) {
    const authRequest = (request as TaggedRequest)[REQUEST]
    if (authRequest === undefined) {
      throw new Error(`${guard.description} runs only after fastify.authenticate`)
    }
    const authenticator = request.server.oidcGuard
    try {
      authenticator.authorize(guard, request.auth ?? undefined, authRequest)
    } catch (error) {
      return fail(authenticator, error, reply)
    }
  }
  return asGuard(guardHook, guard)
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

async function oidcGuardPlugin(fastify: FastifyInstance, options: AuthenticateOptions) {
  const authenticator = createAuthenticator(options)

  const hook = (credentialsRequired?: boolean) =>
    async function authenticateHook(request: FastifyRequest, reply: FastifyReply) {
      const authRequest = toRequest(request)
      ;(request as TaggedRequest)[REQUEST] = authRequest
      try {
        request.auth = (await authenticator.authenticate(authRequest, credentialsRequired)) ?? null
      } catch (error) {
        return fail(authenticator, error, reply)
      }
    }
  const authenticateHook = hook()
  const authenticateOptional = hook(false)

  fastify.decorateRequest('auth', null)
  fastify.decorate('oidcGuard', authenticator)
  fastify.decorate('authenticate', authenticateHook)
  fastify.decorate('authenticateOptional', authenticateOptional)
  // Declarative routes: `{ config: { auth: { scope: 'orders:write' } } }`. The requirement is
  // checked here, at registration, so a bad one fails startup.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const requirement = (route.config as { auth?: true | 'optional' | Requirement } | undefined)?.auth
    if (requirement === undefined) return
    const first = requirement === 'optional' ? authenticateOptional : authenticateHook
    route.onRequest = [first, ...asArray(route.onRequest)] as RouteOptions['onRequest']
    if (requirement === true || requirement === 'optional') return
    route.preHandler = [...asArray(route.preHandler), authorize(guardFor(requirement))] as RouteOptions['preHandler']
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
