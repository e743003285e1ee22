import { createServer, type Server } from 'node:http'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import type { AuthContext, AuthenticateOptions } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'

export type Framework = 'express' | 'koa' | 'fastify'
export const FRAMEWORK_NAMES: Framework[] = ['express', 'koa', 'fastify']

/** The guard builders, whichever adapter they come from. */
export type AdapterGuards = typeof onExpress | typeof onKoa | typeof onFastify

/** One route: its own authentication options, its guards, and what it answers. */
export interface RouteSpec {
  readonly path: string
  readonly options: AuthenticateOptions
  readonly guards?: (adapter: AdapterGuards) => unknown[]
}

export interface RunningApp {
  readonly server: Server
  close(): Promise<void>
}

/** What every route answers: the normalized AuthContext. */
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

/** Builds the same routes on one framework, each the way that framework's users write it. */
export async function buildApp(framework: Framework, routes: RouteSpec[]): Promise<RunningApp> {
  if (framework === 'express') {
    const app = express()
    for (const route of routes) {
      const guards = (route.guards?.(onExpress) ?? []) as express.RequestHandler[]
      app.get(
        route.path,
        onExpress.authenticate(route.options),
        ...guards,
        (req, res) => void res.json(describeAuth(req.auth)),
      )
    }
    return listen(createServer(app))
  }
  if (framework === 'koa') {
    const app = new Koa<onKoa.AuthState>()
    const router = new Router<onKoa.AuthState>()
    for (const route of routes) {
      const guards = (route.guards?.(onKoa) ?? []) as Koa.Middleware[]
      router.get(route.path, onKoa.authenticate(route.options), ...guards, (ctx) => {
        ctx.body = describeAuth(ctx.state.auth)
      })
    }
    app.use(router.routes())
    return listen(createServer(app.callback()))
  }
  // Fastify: one plugin per encapsulated context, since each route has its own options.
  const app = Fastify()
  for (const route of routes) {
    await app.register(async (scope) => {
      await scope.register(onFastify.authenticate, route.options)
      const guards = (route.guards?.(onFastify) ?? []) as onFastify.AuthHook[]
      scope.get(
        route.path,
        { onRequest: scope.authenticate, preHandler: guards },
        async (request) => describeAuth(request.auth),
      )
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
