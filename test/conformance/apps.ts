import { createServer, type Server } from 'node:http'
import Router from '@koa/router'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa from 'koa'
import Koa2 from 'koa2'
import type { AuthenticateOptions, AuthContext } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'

/**
 * The same orders API on each framework, built the way each framework's users write it. Every
 * conformance case runs against all three.
 */
export interface ConformanceApp {
  readonly server: Server
  close(): Promise<void>
}

export type Framework = 'express' | 'koa' | 'fastify' | 'express 4' | 'koa 2'

const isOwner = (sub: unknown, _auth: AuthContext, request: { params?: unknown }) =>
  sub === (request.params as { userId?: string } | undefined)?.userId

function summary(auth: AuthContext | undefined) {
  // "No token" reads the same on every adapter: undefined, never null (a 500 fails the case).
  if (auth === null) throw new Error('auth is null instead of undefined')
  return { subject: auth?.subject ?? null, scopes: auth?.scopes ?? [] }
}

type Guards = typeof onExpress | typeof onKoa | typeof onFastify

/** Route table shared by the three apps: path → the guard chain (after authentication). */
function routes(g: Guards) {
  return [
    { method: 'get', path: '/orders', guards: [g.requireScope('orders:read')] },
    { method: 'post', path: '/orders', guards: [g.requireScope('orders:write')] },
    {
      method: 'get',
      path: '/reports',
      guards: [g.requireAnyScope('orders:admin', 'orders:write')],
    },
    { method: 'get', path: '/admin', guards: [g.requireRole('admin')] },
    { method: 'get', path: '/staff', guards: [g.requireAnyRole('admin', 'editor')] },
    { method: 'get', path: '/users/:userId/orders', guards: [g.requireClaim('sub', isOwner)] },
    { method: 'get', path: '/tenant', guards: [g.requireClaim('tenant', 'acme')] },
    {
      method: 'get',
      path: '/combo/all',
      guards: [g.allOf(g.requireScope('orders:read'), g.requireRole('editor'))],
    },
    {
      method: 'get',
      path: '/combo/any',
      guards: [g.anyOf(g.requireRole('admin'), g.requireScope('orders:write'))],
    },
    { method: 'get', path: '/combo/not', guards: [g.not(g.requireRole('viewer'))] },
    {
      method: 'get',
      path: '/chain',
      guards: [g.requireScope('orders:read'), g.requireRole('editor')],
    },
    { method: 'get', path: '/whoami', guards: [] },
  ] as const
}

const DECLARATIVE = { scope: 'orders:write', anyRole: ['admin', 'editor'] }

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

// Express 5 by default; Express 4 (the peer range allows it) through the same code.
async function expressApp(
  options: AuthenticateOptions,
  create: () => express.Express = express,
): Promise<ConformanceApp> {
  const app = create()
  const auth = onExpress.authenticate(options)
  app.get('/health', (_req, res) => void res.json({ ok: true }))
  for (const route of routes(onExpress)) {
    app[route.method](
      route.path,
      auth,
      ...(route.guards as unknown as express.RequestHandler[]),
      (req, res) => {
        res.json(summary(req.auth))
      },
    )
  }
  app.get(
    '/declarative',
    auth,
    onExpress.guard(DECLARATIVE),
    (req, res) => void res.json(summary(req.auth)),
  )
  // Optional auth from the same authenticator (no second cache, no second key fetch).
  app.get('/optional', auth.optional, (req, res) => void res.json(summary(req.auth)))
  const server = await listen(createServer(app))
  return { server, close: () => closeServer(server) }
}

// Koa 3 by default; Koa 2 (the peer range allows it) through the same code.
async function koaApp(
  options: AuthenticateOptions,
  KoaClass: typeof Koa = Koa,
): Promise<ConformanceApp> {
  const app = new KoaClass<onKoa.AuthState>()
  const router = new Router<onKoa.AuthState>()
  const auth = onKoa.authenticate(options)
  router.get('/health', (ctx) => {
    ctx.body = { ok: true }
  })
  for (const route of routes(onKoa)) {
    router[route.method](
      route.path,
      auth,
      ...(route.guards as unknown as Koa.Middleware[]),
      (ctx) => {
        ctx.body = summary(ctx.state.auth)
      },
    )
  }
  router.get('/declarative', auth, onKoa.guard(DECLARATIVE), (ctx) => {
    ctx.body = summary(ctx.state.auth)
  })
  router.get('/optional', auth.optional, (ctx) => {
    ctx.body = summary(ctx.state.auth)
  })
  app.use(router.routes())
  const server = await listen(createServer(app.callback()))
  return { server, close: () => closeServer(server) }
}

async function fastifyApp(options: AuthenticateOptions): Promise<ConformanceApp> {
  const app = Fastify()
  await app.register(onFastify.authenticate, options)
  app.get('/health', async () => ({ ok: true }))
  for (const route of routes(onFastify)) {
    app.route({
      method: route.method.toUpperCase() as 'GET',
      url: route.path,
      onRequest: app.authenticate,
      preHandler: [...route.guards] as unknown as onFastify.AuthHook[],
      handler: async (request) => summary(request.auth),
    })
  }
  app.get('/declarative', { config: { auth: DECLARATIVE } }, async (request) =>
    summary(request.auth),
  )
  app.get('/optional', { config: { auth: 'optional' } }, async (request) => summary(request.auth))
  await app.ready()
  return { server: app.server, close: () => app.close() }
}

export const FRAMEWORKS: Record<
  Framework,
  (options: AuthenticateOptions) => Promise<ConformanceApp>
> = {
  express: (options) => expressApp(options),
  koa: (options) => koaApp(options),
  fastify: fastifyApp,
  'express 4': (options) => expressApp(options, express4 as unknown as () => express.Express),
  'koa 2': (options) => koaApp(options, Koa2 as unknown as typeof Koa),
}
