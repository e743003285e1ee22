/**
 * The servers the HTTP benchmark compares: each framework bare, protected by oidc-guard, and
 * protected by the library its users would otherwise pick, configured as that library's docs
 * recommend. Every protected app serves GET /orders and requires scope `orders:read`.
 */
import { hash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import Router from '@koa/router'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { createDenylist, type Denylist, type SingleIssuerOptions } from 'oidc-guard'
import { createTelemetry } from 'oidc-guard/otel'
import { createRedisDenylistStore } from 'oidc-guard/redis'
import { createClient } from 'redis'
import { startNoopOtelSdk } from './otel-sdk.js'

const require = createRequire(import.meta.url)

// Options a variant of the oidc-guard contender adds (OpenTelemetry, a denylist, quiet warnings).
export type ExtraOptions = Pick<SingleIssuerOptions, 'instrumentation' | 'denylist' | 'onWarning'>

// "+ OTel": oidc-guard/otel over the SDK with exporters that drop everything (bench/otel-sdk.ts),
// so the row differs from plain oidc-guard only by the instrumentation and the SDK's own work.
const withTelemetry = (): ExtraOptions => ({ instrumentation: createTelemetry(startNoopOtelSdk()) })

export interface BenchConfig {
  readonly issuer: string
  readonly jwksUri: string
  readonly audience: string
  /** A redis-server for the "+ Redis denylist" contenders (bench/paired.ts starts one). */
  readonly redisUrl?: string
}

/** Entries of the "+ denylist" contenders: a busy deployment's list, matching no bench token. */
export const DENYLIST_ENTRIES = 10_000

// "+ denylist": every kind holds entries (7,000 jti, 2,000 sub, 900 sid, 100 clients), so a
// request pays each lookup it can: none of them matches, as for almost every real request.
// With `store: 'redis'` the entries go through a real redis-server and reach this process by
// pub/sub and the initial load: the request path reads the same in-memory view.
async function withDenylist(config: BenchConfig, store: 'memory' | 'redis'): Promise<ExtraOptions> {
  let denylist: Denylist
  let fills = true
  if (store === 'redis') {
    if (config.redisUrl === undefined)
      throw new Error('the Redis denylist contenders need redisUrl')
    const client = createClient({ url: config.redisUrl, disableOfflineQueue: true })
    await client.connect()
    // Servers started together share the list: one fills it, the others receive it.
    fills = (await client.set('bench:denylist-filler', String(process.pid), { NX: true })) === 'OK'
    denylist = createDenylist({ store: createRedisDenylistStore({ client }) })
  } else denylist = createDenylist()
  await denylist.ready()
  const target = (index: number) =>
    index < 7_000
      ? { jti: `revoked-${index}` }
      : index < 9_000
        ? { sub: `revoked-user-${index}` }
        : index < 9_900
          ? { sid: `revoked-session-${index}` }
          : { clientId: `revoked-client-${index}` }
  if (fills) {
    for (let start = 0; start < DENYLIST_ENTRIES; start += 100) {
      const batch = Array.from({ length: 100 }, (_, offset) =>
        denylist.revoke(target(start + offset)),
      )
      await Promise.all(batch)
    }
  }
  for (let waited = 0; denylist.size < DENYLIST_ENTRIES; waited += 100) {
    if (waited > 60_000) throw new Error(`the Redis denylist holds ${denylist.size} entries`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { denylist }
}

// The target's reference: the bare app plus what verification cannot avoid, done with raw jose
// (decode, jwtVerify with a key imported at startup, scope check). No JWKS, no cache.
async function joseReference(config: BenchConfig) {
  const { jwtVerify, createRemoteJWKSet } = await import('jose')
  const keys = createRemoteJWKSet(new URL(config.jwksUri))
  return async (authorization: string | undefined): Promise<boolean> => {
    if (!authorization?.startsWith('Bearer ')) return false
    try {
      const { payload } = await jwtVerify(authorization.slice(7), keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ['RS256'],
      })
      return hasScope(payload.scope)
    } catch {
      return false
    }
  }
}

// The floor: the same two middlewares (authenticate + scope guard) written the least costly way
// a cached auth can be: a verified token remembered by its exact string in a Map, its scopes in
// a Set, no events, no bounds, no expiry check on a hit. Anything oidc-guard adds on the cached
// path is measured against this, not against the bare app.
//
// `keyed: 'sha256'` is the same floor with oidc-guard's one deliberate cost on a hit: the cache
// key is the token's SHA-256, so raw tokens are never held in memory as keys. The gap between
// the two floors is the price of that choice; the gap above the hashed floor is oidc-guard's own.
async function floorAuth(config: BenchConfig, keyed: 'token' | 'sha256' = 'token') {
  const { jwtVerify, createRemoteJWKSet } = await import('jose')
  const keyOf = keyed === 'sha256' ? floorSha256 : floorRaw
  const keys = createRemoteJWKSet(new URL(config.jwksUri))
  const verified = new Map<string, Set<string>>()
  const verify = (token: string): Promise<Set<string> | undefined> =>
    jwtVerify(token, keys, {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ['RS256'],
    }).then(
      ({ payload }) => {
        const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : [])
        verified.set(keyOf(token), scopes)
        return scopes
      },
      () => undefined,
    )
  /** The token's scopes: now when remembered, else once verified; undefined when invalid. */
  return (
    authorization: string | undefined,
  ): Set<string> | undefined | Promise<Set<string> | undefined> => {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined
    const token = authorization.slice(7)
    return verified.get(keyOf(token)) ?? verify(token)
  }
}

const floorRaw = (token: string) => token
const floorSha256 = (token: string) => hash('sha256', token, 'base64url')

export const CONTENDERS = {
  'express bare': { framework: 'express', build: expressBare },
  'express oidc-guard': { framework: 'express', build: (config) => expressOidcGuard(config) },
  'express oidc-guard + OTel': {
    framework: 'express',
    build: (config) => expressOidcGuard(config, withTelemetry()),
  },
  'express oidc-guard + denylist': {
    framework: 'express',
    build: async (config) => expressOidcGuard(config, await withDenylist(config, 'memory')),
  },
  'express oidc-guard + Redis denylist': {
    framework: 'express',
    build: async (config) => expressOidcGuard(config, await withDenylist(config, 'redis')),
  },
  'express express-oauth2-jwt-bearer': { framework: 'express', build: expressOauth2JwtBearer },
  'express express-jwt+jwks-rsa': { framework: 'express', build: expressJwt },
  'express reference: raw jose': { framework: 'express', build: expressReference },
  'express floor: Map cache': { framework: 'express', build: (config) => expressFloor(config) },
  'express floor: SHA-256 key': {
    framework: 'express',
    build: (config) => expressFloor(config, 'sha256'),
  },
  'fastify bare': { framework: 'fastify', build: fastifyBare },
  'fastify oidc-guard': { framework: 'fastify', build: (config) => fastifyOidcGuard(config) },
  'fastify oidc-guard + OTel': {
    framework: 'fastify',
    build: (config) => fastifyOidcGuard(config, withTelemetry()),
  },
  'fastify oidc-guard + denylist': {
    framework: 'fastify',
    build: async (config) => fastifyOidcGuard(config, await withDenylist(config, 'memory')),
  },
  'fastify oidc-guard + Redis denylist': {
    framework: 'fastify',
    build: async (config) => fastifyOidcGuard(config, await withDenylist(config, 'redis')),
  },
  'fastify fastify-jwt-jwks': { framework: 'fastify', build: fastifyJwtJwks },
  'fastify reference: raw jose': { framework: 'fastify', build: fastifyReference },
  'fastify floor: Map cache': { framework: 'fastify', build: (config) => fastifyFloor(config) },
  'fastify floor: SHA-256 key': {
    framework: 'fastify',
    build: (config) => fastifyFloor(config, 'sha256'),
  },
  'koa bare': { framework: 'koa', build: koaBare },
  'koa oidc-guard': { framework: 'koa', build: (config) => koaOidcGuard(config) },
  'koa oidc-guard + OTel': {
    framework: 'koa',
    build: (config) => koaOidcGuard(config, withTelemetry()),
  },
  'koa oidc-guard + denylist': {
    framework: 'koa',
    build: async (config) => koaOidcGuard(config, await withDenylist(config, 'memory')),
  },
  'koa oidc-guard + Redis denylist': {
    framework: 'koa',
    build: async (config) => koaOidcGuard(config, await withDenylist(config, 'redis')),
  },
  'koa koa-jwt+jwks-rsa': { framework: 'koa', build: koaJwt },
  'koa reference: raw jose': { framework: 'koa', build: koaReference },
  'koa floor: Map cache': { framework: 'koa', build: (config) => koaFloor(config) },
  'koa floor: SHA-256 key': {
    framework: 'koa',
    build: (config) => koaFloor(config, 'sha256'),
  },
  'koa two no-op middlewares': { framework: 'koa', build: koaNoop },
} as const satisfies Record<
  string,
  { framework: string; build: (config: BenchConfig) => Promise<Server> }
>

export type ContenderName = keyof typeof CONTENDERS

/** The oidc-guard app of one framework (GET /orders, scope orders:read), not listening yet. */
export function oidcGuardServer(
  framework: 'express' | 'fastify' | 'koa',
  config: BenchConfig,
  extra?: ExtraOptions,
): Promise<Server> {
  const build = { express: expressOidcGuard, fastify: fastifyOidcGuard, koa: koaOidcGuard }
  return build[framework](config, extra)
}

const ORDERS = [{ id: 1, item: 'coffee' }]
const hasScope = (scope: unknown) =>
  typeof scope === 'string' && scope.split(' ').includes('orders:read')

async function expressBare(): Promise<Server> {
  const app = express()
  app.get('/orders', (_req, res) => void res.json(ORDERS))
  return createServer(app)
}

async function expressOidcGuard(config: BenchConfig, extra?: ExtraOptions): Promise<Server> {
  const app = express()
  const auth = onExpress.authenticate({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    ...extra,
  })
  app.get(
    '/orders',
    auth,
    onExpress.requireScope('orders:read'),
    (_req, res) => void res.json(ORDERS),
  )
  return createServer(app)
}

async function expressOauth2JwtBearer(config: BenchConfig): Promise<Server> {
  const { auth, requiredScopes } = require('express-oauth2-jwt-bearer')
  const app = express()
  app.get(
    '/orders',
    auth({ issuerBaseURL: config.issuer, audience: config.audience }),
    requiredScopes('orders:read'),
    (_req: unknown, res: express.Response) => {
      res.json(ORDERS)
    },
  )
  return createServer(app)
}

async function expressJwt(config: BenchConfig): Promise<Server> {
  const { expressjwt } = require('express-jwt')
  const jwksRsa = require('jwks-rsa')
  const app = express()
  const check = expressjwt({
    secret: jwksRsa.expressJwtSecret({
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 5,
      jwksUri: config.jwksUri,
    }),
    audience: config.audience,
    issuer: config.issuer,
    algorithms: ['RS256'],
  })
  app.get(
    '/orders',
    check,
    (req: express.Request & { auth?: { scope?: unknown } }, res: express.Response) => {
      if (!hasScope(req.auth?.scope))
        return void res.status(403).json({ error: 'insufficient_scope' })
      res.json(ORDERS)
    },
  )
  return createServer(app)
}

async function fastifyBare(): Promise<Server> {
  const app = Fastify()
  app.get('/orders', async () => ORDERS)
  await app.ready()
  return app.server
}

async function fastifyOidcGuard(config: BenchConfig, extra?: ExtraOptions): Promise<Server> {
  const app = Fastify()
  await app.register(onFastify.authenticate, {
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    ...extra,
  })
  app.get('/orders', { config: { auth: { scope: 'orders:read' } } }, async () => ORDERS)
  await app.ready()
  return app.server
}

async function fastifyJwtJwks(config: BenchConfig): Promise<Server> {
  const app = Fastify()
  await app.register(require('fastify-jwt-jwks'), {
    jwksUrl: config.jwksUri,
    audience: config.audience,
    issuer: config.issuer,
    cache: true,
  })
  const guarded = app as unknown as {
    authenticate: (request: unknown, reply: unknown) => Promise<void>
  }
  app.get('/orders', { preValidation: guarded.authenticate }, async (request, reply) => {
    if (!hasScope((request as unknown as { user?: { scope?: unknown } }).user?.scope))
      return reply.code(403).send({ error: 'insufficient_scope' })
    return ORDERS
  })
  await app.ready()
  return app.server
}

async function koaBare(): Promise<Server> {
  const app = new Koa()
  const router = new Router()
  router.get('/orders', (ctx) => {
    ctx.body = ORDERS
  })
  app.use(router.routes())
  return createServer(app.callback())
}

async function koaOidcGuard(config: BenchConfig, extra?: ExtraOptions): Promise<Server> {
  const app = new Koa<onKoa.AuthState>()
  const router = new Router<onKoa.AuthState>()
  const auth = onKoa.authenticate({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    ...extra,
  })
  router.get('/orders', auth, onKoa.requireScope('orders:read'), (ctx) => {
    ctx.body = ORDERS
  })
  app.use(router.routes())
  return createServer(app.callback())
}

async function koaJwt(config: BenchConfig): Promise<Server> {
  const koaJwtMiddleware = require('koa-jwt')
  const jwksRsa = require('jwks-rsa')
  const app = new Koa()
  const router = new Router()
  const check = koaJwtMiddleware({
    secret: jwksRsa.koaJwtSecret({
      jwksUri: config.jwksUri,
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 5,
    }),
    audience: config.audience,
    issuer: config.issuer,
    algorithms: ['RS256'],
  })
  router.get('/orders', check, (ctx) => {
    if (!hasScope((ctx.state as { user?: { scope?: unknown } }).user?.scope)) {
      ctx.status = 403
      return
    }
    ctx.body = ORDERS
  })
  app.use(router.routes())
  return createServer(app.callback())
}

async function expressReference(config: BenchConfig): Promise<Server> {
  const check = await joseReference(config)
  const app = express()
  app.get(
    '/orders',
    (req, res, next) => {
      check(req.headers.authorization).then(
        (ok) => (ok ? next() : void res.status(401).end()),
        next,
      )
    },
    (_req, res) => void res.json(ORDERS),
  )
  return createServer(app)
}

async function fastifyReference(config: BenchConfig): Promise<Server> {
  const check = await joseReference(config)
  const app = Fastify()
  app.get(
    '/orders',
    {
      onRequest: async (request, reply) => {
        if (!(await check(request.headers.authorization))) return reply.code(401).send()
      },
    },
    async () => ORDERS,
  )
  await app.ready()
  return app.server
}

async function koaReference(config: BenchConfig): Promise<Server> {
  const check = await joseReference(config)
  const app = new Koa()
  const router = new Router()
  router.get(
    '/orders',
    async (ctx, next) => {
      if (!(await check(ctx.headers.authorization))) {
        ctx.status = 401
        return
      }
      await next()
    },
    (ctx) => {
      ctx.body = ORDERS
    },
  )
  app.use(router.routes())
  return createServer(app.callback())
}

// Reference for the idiom's own cost: the bare route plus two middlewares that do nothing.
async function koaNoop(): Promise<Server> {
  const app = new Koa()
  const router = new Router()
  const noop: Koa.Middleware = (_ctx, next) => next()
  router.get('/orders', noop, noop, (ctx) => {
    ctx.body = ORDERS
  })
  app.use(router.routes())
  return createServer(app.callback())
}

type Scopes = Set<string>
type MaybeScopes = Scopes | undefined | Promise<Scopes | undefined>

// The floor's per-request code keeps its closures at module level: tsx (esbuild keepNames)
// wraps every named closure created per request in a __name() call, which would tax the floor
// and not the library under test.

function expressFloorGo(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
  scopes: Scopes | undefined,
): void {
  if (scopes === undefined) return void res.status(401).end()
  ;(req as { scopes?: Scopes }).scopes = scopes
  next()
}

async function expressFloor(config: BenchConfig, keyed?: 'token' | 'sha256'): Promise<Server> {
  const scopesOf = await floorAuth(config, keyed)
  const app = express()
  app.get(
    '/orders',
    (req, res, next) => {
      const found: MaybeScopes = scopesOf(req.headers.authorization)
      if (found instanceof Promise)
        found.then((scopes) => expressFloorGo(req, res, next, scopes), next)
      else expressFloorGo(req, res, next, found)
    },
    (req, res, next) =>
      (req as { scopes?: Scopes }).scopes?.has('orders:read') ? next() : void res.status(403).end(),
    (_req, res) => void res.json(ORDERS),
  )
  return createServer(app)
}

type FastifyTagged = { scopes: Scopes | null }

function fastifyFloorGo(
  request: unknown,
  reply: { code(status: number): { send(): unknown } },
  done: (error?: Error) => void,
  scopes: Scopes | undefined,
): void {
  if (scopes === undefined) return void reply.code(401).send()
  ;(request as FastifyTagged).scopes = scopes
  done()
}

async function fastifyFloor(config: BenchConfig, keyed?: 'token' | 'sha256'): Promise<Server> {
  const scopesOf = await floorAuth(config, keyed)
  const app = Fastify()
  app.decorateRequest('scopes', null)
  app.get(
    '/orders',
    {
      onRequest(request, reply, done) {
        const found: MaybeScopes = scopesOf(request.headers.authorization)
        if (found instanceof Promise)
          found.then((scopes) => fastifyFloorGo(request, reply, done, scopes), done)
        else fastifyFloorGo(request, reply, done, found)
      },
      preHandler(request, reply, done) {
        if ((request as unknown as FastifyTagged).scopes?.has('orders:read')) return done()
        reply.code(403).send()
      },
    },
    async () => ORDERS,
  )
  await app.ready()
  return app.server
}

function koaFloorGo(
  ctx: Koa.ParameterizedContext<{ scopes?: Scopes }>,
  next: Koa.Next,
  scopes: Scopes | undefined,
): Promise<unknown> | undefined {
  if (scopes === undefined) {
    ctx.status = 401
    return undefined
  }
  ctx.state.scopes = scopes
  return next()
}

async function koaFloor(config: BenchConfig, keyed?: 'token' | 'sha256'): Promise<Server> {
  const scopesOf = await floorAuth(config, keyed)
  const app = new Koa()
  const router = new Router<{ scopes?: Scopes }>()
  router.get(
    '/orders',
    (ctx, next) => {
      const found: MaybeScopes = scopesOf(ctx.headers.authorization)
      return found instanceof Promise
        ? found.then((scopes) => koaFloorGo(ctx, next, scopes))
        : koaFloorGo(ctx, next, found)
    },
    (ctx, next) => {
      if (ctx.state.scopes?.has('orders:read')) return next()
      ctx.status = 403
    },
    (ctx) => {
      ctx.body = ORDERS
    },
  )
  app.use(router.routes())
  return createServer(app.callback())
}
