import { createServer, type Server } from 'node:http'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import type { AuthContext, AuthenticateOptions, Requirement } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'

/**
 * oidc-guard's one app builder for its own tests: the same routes on Express, Koa or Fastify,
 * each written the way that framework's users write it. Test-only: users build their own apps
 * and test them with `oidc-guard/testing` (see docs/testing.md).
 */
export type Framework = 'express' | 'koa' | 'fastify'
export const FRAMEWORK_NAMES: Framework[] = ['express', 'koa', 'fastify']

/** The guard builders, whichever adapter they come from. */
export type AdapterGuards = typeof onExpress | typeof onKoa | typeof onFastify

/** One route: its authentication options, its guards, and what it answers. */
export interface RouteSpec {
  readonly path: string
  /** Default `get`. */
  readonly method?: 'get' | 'post'
  /**
   * Authentication options. Routes given the same object share one authenticator (one
   * `authenticate()` per framework, one Fastify plugin context). Absent: a public route.
   */
  readonly options?: AuthenticateOptions
  readonly guards?: (adapter: AdapterGuards) => unknown[]
  /** A declarative requirement: `guard(requirement)` on Express/Koa, `config.auth` on Fastify. */
  readonly requirement?: Requirement
  /** No token passes: a second `authenticate()` without required credentials, Fastify `config.auth: 'optional'`. */
  readonly optional?: boolean
  /** The response body. Default: `describeAuth`. */
  readonly respond?: (auth: AuthContext | null | undefined) => unknown
}

/** Another major of a framework, run through the same code (the peer ranges allow them). */
export interface FrameworkVersions {
  readonly express?: () => express.Express
  readonly koa?: typeof Koa
}

export interface RunningApp {
  readonly server: Server
  close(): Promise<void>
}

/** What every route answers by default: the normalized AuthContext. */
export function describeAuth(auth: AuthContext | null | undefined) {
  if (!auth) return null
  const { token: _token, claims: _claims, expiresAt: _expiresAt, ...rest } = auth
  return rest
}

async function listen(server: Server): Promise<RunningApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

// One authenticator per options object; optional routes use its `.optional` middleware (the
// same authenticator, so no second cache or key fetch).
function middlewareFor<M>(authenticate: (options: AuthenticateOptions) => M & { optional: M }) {
  const made = new Map<AuthenticateOptions, M & { optional: M }>()
  return (route: RouteSpec): M[] => {
    const { options } = route
    if (options === undefined) return []
    let middleware = made.get(options)
    if (middleware === undefined) {
      middleware = authenticate(options)
      made.set(options, middleware)
    }
    return [route.optional ? middleware.optional : middleware]
  }
}

function guardsOf<G>(route: RouteSpec, adapter: AdapterGuards, guard: (r: Requirement) => G): G[] {
  const guards = (route.guards?.(adapter) ?? []) as G[]
  return route.requirement ? [...guards, guard(route.requirement)] : guards
}

/** Builds the same routes on one framework, each the way that framework's users write it. */
export async function buildApp(
  framework: Framework,
  routes: RouteSpec[],
  versions: FrameworkVersions = {},
): Promise<RunningApp> {
  if (framework === 'express') {
    const app = (versions.express ?? express)()
    const auth = middlewareFor(onExpress.authenticate)
    for (const route of routes) {
      const respond = route.respond ?? describeAuth
      app[route.method ?? 'get'](
        route.path,
        ...auth(route),
        ...guardsOf<express.RequestHandler>(route, onExpress, onExpress.guard),
        (req, res) => void res.json(respond(req.auth)),
      )
    }
    return listen(createServer(app))
  }
  if (framework === 'koa') {
    const app = new (versions.koa ?? Koa)<onKoa.AuthState>()
    const router = new Router<onKoa.AuthState>()
    const auth = middlewareFor(onKoa.authenticate)
    for (const route of routes) {
      const respond = route.respond ?? describeAuth
      router[route.method ?? 'get'](
        route.path,
        ...auth(route),
        ...guardsOf<Koa.Middleware>(route, onKoa, onKoa.guard),
        (ctx) => {
          ctx.body = respond(ctx.state.auth)
        },
      )
    }
    app.use(router.routes())
    return listen(createServer(app.callback()))
  }
  // Fastify: one encapsulated plugin context per options object, its routes inside.
  const app = Fastify()
  const contexts = new Map<AuthenticateOptions | undefined, RouteSpec[]>()
  for (const route of routes)
    contexts.set(route.options, [...(contexts.get(route.options) ?? []), route])
  for (const [options, scoped] of contexts) {
    await app.register(async (scope) => {
      if (options !== undefined) await scope.register(onFastify.authenticate, options)
      for (const route of scoped) {
        const respond = route.respond ?? describeAuth
        const declarative = route.optional ? 'optional' : route.requirement
        scope.route({
          method: (route.method ?? 'get').toUpperCase() as 'GET' | 'POST',
          url: route.path,
          ...(options === undefined || declarative !== undefined
            ? { config: declarative === undefined ? {} : { auth: declarative } }
            : { onRequest: scope.authenticate }),
          preHandler: (route.guards?.(onFastify) ?? []) as onFastify.AuthHook[],
          handler: async (request) => respond(request.auth),
        })
      }
    })
  }
  await app.ready()
  return { server: app.server, close: () => app.close() }
}

/** The app's base URL on 127.0.0.1, listening first when the framework has not (Fastify). */
export async function baseUrl(app: RunningApp): Promise<string> {
  if (app.server.address() === null) {
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve))
  }
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}
