import { createServer } from 'node:http'
import Router from '@koa/router'
import express from 'express'
import Fastify, { type FastifyRequest } from 'fastify'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  requireRole,
  type AuthContext,
  type AuthenticateOptions,
  type DecisionEvent,
} from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { AUDIENCE, claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'

let jwks: JwksServer
let key: TestKey
let token: string
let options: AuthenticateOptions

beforeAll(async () => {
  jwks = await startJwksServer()
  key = await createTestKey('ES256')
  jwks.keys = [key.publicJwk]
  token = await sign(key, claims({ iss: jwks.issuer, roles: ['editor'] }))
  options = { issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri }
})
afterAll(() => jwks.close())

// The error a guard fails with when the request's context is not the one authenticate gave it.
const replacedContext = (guard: string, authenticate = 'authenticate()') =>
  `${guard}: the request's AuthContext is not the one ${authenticate} gave it ` +
  '(replaced or edited by other code; add data with the permissions option)'

const CHALLENGE =
  'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", scope="orders:write"'

describe('Express adapter', () => {
  it('forwardErrors hands the error to next(err) with status and headers', async () => {
    const app = express()
    app.get(
      '/orders',
      onExpress.authenticate({ ...options, forwardErrors: true }),
      onExpress.requireScope('orders:write'),
      (_req, res) => {
        res.json({})
      },
    )
    app.use(
      (
        error: { status: number; headers: Record<string, string>; code: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(error.status).set(error.headers).json({ handledBy: 'app', code: error.code })
      },
    )
    const denied = await request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({ handledBy: 'app', code: 'ERR_BEARER_INSUFFICIENT_SCOPE' })
    expect(denied.headers['www-authenticate']).toBe(CHALLENGE)
    const missing = await request(app).get('/orders')
    expect(missing.body).toEqual({ handledBy: 'app', code: 'ERR_BEARER_MISSING_TOKEN' })
  })

  it('a guard without authenticate() fails closed with a server error naming the guard', async () => {
    const app = express()
    app.get(
      '/orders',
      onExpress.requireScope('orders:read'),
      (_req, res) => void res.json({ leaked: true }),
    )
    let seen: Error | undefined
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        seen = error
        res.status(500).json({ error: 'server_error' })
      },
    )
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(500)
    expect(seen?.message).toBe('requireScope(orders:read) runs only after authenticate()')
  })

  it('a guard evaluates only the context authenticate() produced for this very request', async () => {
    const app = express()
    const auth = onExpress.authenticate(options)
    const guard = onExpress.requireRole('editor')
    const handler = (_req: express.Request, res: express.Response) =>
      void res.json({ leaked: true })
    let saved: AuthContext | undefined
    app.get('/login', auth, (req, res) => {
      saved = req.auth
      res.json({})
    })
    const put =
      (context: () => AuthContext | undefined) =>
      (req: express.Request, _res: express.Response, next: express.NextFunction) => {
        req.auth = context()
        next()
      }
    // Edited after authenticate(): another middleware (or library) writing the same field.
    app.get(
      '/edited',
      auth,
      put(() => Object.freeze({ ...saved!, roles: ['editor'] })),
      guard,
      handler,
    )
    // A genuine context, saved from another request, on a route without authenticate().
    app.get(
      '/reused',
      put(() => saved),
      guard,
      handler,
    )
    // A saved context put on a request authenticate() let through without a token, or with
    // another user's token (a revoked or expired token's context would pass the same way).
    app.get(
      '/optional-reused',
      auth.optional,
      put(() => saved),
      guard,
      handler,
    )
    app.get(
      '/other-token',
      auth,
      put(() => saved),
      guard,
      handler,
    )
    // Cleared after authenticate(): no context, so 401 like a request without a token.
    app.get(
      '/cleared',
      auth,
      put(() => undefined),
      guard,
      handler,
    )
    app.get('/optional', auth.optional, guard, handler)
    const seen: string[] = []
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        seen.push(error.message)
        res.status(500).json({ error: 'server_error' })
      },
    )
    const bearer = `Bearer ${token}`
    await request(app).get('/login').set('Authorization', bearer).expect(200)
    expect(saved?.roles).toEqual(['editor'])
    const other = await sign(key, claims({ iss: jwks.issuer, sub: 'user-2' }))
    for (const [path, authorization] of [
      ['/edited', bearer],
      ['/reused', bearer],
      ['/optional-reused', undefined],
      ['/other-token', `Bearer ${other}`],
    ] as const) {
      const call = request(app).get(path)
      const response = await (authorization ? call.set('Authorization', authorization) : call)
      expect(response.status).toBe(500)
      expect(response.body).toEqual({ error: 'server_error' })
    }
    const replaced = replacedContext('requireRole(editor)')
    expect(seen).toEqual([
      replaced,
      'requireRole(editor) runs only after authenticate()',
      replaced,
      replaced,
    ])
    for (const path of ['/cleared', '/optional']) {
      const response = await request(app).get(path)
      expect(response.status).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"')
    }
  })

  it('adapter guards are core guards too, and compose with core guards', async () => {
    const guard = onExpress.anyOf(onExpress.requireScope('orders:write'), requireRole('editor'))
    expect(guard.description).toBe('anyOf(requireScope(orders:write), requireRole(editor))')
    const app = express()
    app.get(
      '/orders',
      onExpress.authenticate(options),
      guard,
      (req, res) => void res.json({ sub: req.auth?.subject }),
    )
    expect(
      (await request(app).get('/orders').set('Authorization', `Bearer ${token}`)).body,
    ).toEqual({ sub: 'user-1' })
  })

  it('authorize() wraps any guard and reports decisions through onDecision', async () => {
    const events: DecisionEvent[] = []
    const app = express()
    app.get(
      '/orders',
      onExpress.authenticate({ ...options, onDecision: (event) => events.push(event) }),
      onExpress.authorize(requireRole('editor')),
      (_req, res) => {
        res.json({})
      },
    )
    await request(app).get('/orders?x=1').set('Authorization', `Bearer ${token}`).expect(200)
    expect(events.map((event) => [event.type, event.allowed, event.method, event.path])).toEqual([
      ['authenticate', true, 'GET', '/orders'],
      ['authorize', true, 'GET', '/orders'],
    ])
  })

  it('auth.optional shares the authenticator: one key fetch, getAuth reads the context', async () => {
    const app = express()
    const auth = onExpress.authenticate(options)
    const seen = (req: express.Request, res: express.Response) =>
      void res.json({ sub: onExpress.getAuth(req)?.subject ?? 'none' })
    app.get('/orders', auth, seen)
    app.get('/catalog', auth.optional, seen)
    const before = jwks.jwksFetches()
    const bearer = `Bearer ${token}`
    expect((await request(app).get('/catalog')).body).toEqual({ sub: 'none' })
    expect((await request(app).get('/orders')).status).toBe(401)
    expect((await request(app).get('/orders').set('Authorization', bearer)).body.sub).toBe('user-1')
    expect((await request(app).get('/catalog').set('Authorization', bearer)).body.sub).toBe(
      'user-1',
    )
    const bad = await request(app).get('/catalog').set('Authorization', 'Bearer x.y.z')
    expect(bad.status).toBe(401)
    expect(jwks.jwksFetches() - before).toBe(1)
  })

  it('a bad option or requirement throws at startup', () => {
    expect(() => onExpress.authenticate({ ...options, forwardErrors: 'yes' as never })).toThrow(
      ConfigurationError,
    )
    expect(() => onExpress.guard({ scopes: 'x' } as never)).toThrow('"scopes": unknown option')
    expect(() => onExpress.guard({})).toThrow('Expected at least one requirement')
  })
})

describe('Koa adapter', () => {
  it('forwardErrors throws so Koa renders status, headers and message itself', async () => {
    const app = new Koa()
    const router = new Router()
    router.get(
      '/orders',
      onKoa.authenticate({ ...options, forwardErrors: true }),
      onKoa.requireScope('orders:write'),
      (ctx) => {
        ctx.body = {}
      },
    )
    app.use(router.routes())
    app.silent = true
    const response = await request(createServer(app.callback()))
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(403)
    expect(response.headers['www-authenticate']).toBe(CHALLENGE)
    expect(response.text).toBe('The access token lacks the required scope')
  })

  // `before`, then requireRole('admin'), then a handler that must never run: a 500 naming the guard.
  async function refusedOnKoa(message: string, ...before: Koa.Middleware[]) {
    const app = new Koa()
    app.silent = true
    const errors: string[] = []
    app.on('error', (error: Error) => errors.push(error.message))
    for (const middleware of before) app.use(middleware)
    app.use(onKoa.requireRole('admin'))
    app.use((ctx) => {
      ctx.body = { leaked: true }
    })
    const response = await request(createServer(app.callback()))
      .get('/')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(500)
    expect(response.text).toBe('Internal Server Error')
    expect(errors).toEqual([message])
  }

  it('a guard without authenticate() fails closed with 500', () =>
    refusedOnKoa('requireRole(admin) runs only after authenticate()'))

  it('a guard refuses a ctx.state.auth that no authenticator produced, even after authenticate()', () =>
    refusedOnKoa(
      replacedContext('requireRole(admin)'),
      onKoa.authenticate(options),
      (ctx, next) => {
        // Another middleware writing the same field, with the role the route wants.
        ctx.state.auth = Object.freeze({ ...(ctx.state.auth as object), roles: ['admin'] }) as never
        return next()
      },
    ))

  it('a guard refuses a context saved from another request, on a route that authenticated', async () => {
    const auth = onKoa.authenticate(options)
    let saved: AuthContext | undefined
    const app = new Koa()
    app.silent = true
    const errors: string[] = []
    app.on('error', (error: Error) => errors.push(error.message))
    const router = new Router()
    router.get('/login', auth, (ctx) => {
      saved = ctx.state.auth
      ctx.body = {}
    })
    const reuse: Koa.Middleware = (ctx, next) => {
      ctx.state.auth = saved
      return next()
    }
    const leak: Koa.Middleware = (ctx) => {
      ctx.body = { leaked: true }
    }
    router.get('/optional', auth.optional, reuse, onKoa.requireRole('editor'), leak)
    router.get('/other', auth, reuse, onKoa.requireRole('editor'), leak)
    app.use(router.routes())
    const server = createServer(app.callback())
    await request(server).get('/login').set('Authorization', `Bearer ${token}`).expect(200)
    const other = await sign(key, claims({ iss: jwks.issuer, sub: 'user-2' }))
    expect((await request(server).get('/optional')).status).toBe(500)
    const second = await request(server).get('/other').set('Authorization', `Bearer ${other}`)
    expect(second.status).toBe(500)
    const replaced = replacedContext('requireRole(editor)')
    expect(errors).toEqual([replaced, replaced])
  })

  it('reads a form-body token parsed by a body parser that ran first', async () => {
    const app = new Koa<onKoa.AuthState>()
    app.use(async (ctx, next) => {
      ;(ctx.request as { body?: unknown }).body = { access_token: token }
      await next()
    })
    app.use(onKoa.authenticate({ ...options, tokenLocations: ['header', 'body'] }))
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.subject }
    })
    const response = await request(createServer(app.callback()))
      .post('/orders')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('ignored=1')
    expect(response.body).toEqual({ sub: 'user-1' })
  })

  it('auth.optional lets a request without a token through; getAuth reads ctx.state.auth', async () => {
    const app = new Koa<onKoa.AuthState>()
    const auth = onKoa.authenticate(options)
    app.use(auth.optional)
    app.use((ctx) => {
      ctx.body = { sub: onKoa.getAuth(ctx)?.subject ?? 'none' }
    })
    const server = createServer(app.callback())
    expect((await request(server).get('/')).body).toEqual({ sub: 'none' })
    const signed = await request(server).get('/').set('Authorization', `Bearer ${token}`)
    expect(signed.body).toEqual({ sub: 'user-1' })
  })

  it('auth.optional reports the decision with the method and path', async () => {
    const events: DecisionEvent[] = []
    const app = new Koa<onKoa.AuthState>()
    app.use(onKoa.authenticate({ ...options, onDecision: (event) => events.push(event) }).optional)
    app.use((ctx) => {
      ctx.body = {}
    })
    await request(createServer(app.callback()))
      .get('/feed?page=2')
      .set('Authorization', `Bearer ${token}`)
    expect(events).toMatchObject([{ allowed: true, method: 'GET', path: '/feed' }])
  })

  it('reads query tokens lazily when enabled, from ctx.query', async () => {
    const app = new Koa<onKoa.AuthState>()
    app.use(onKoa.authenticate({ ...options, tokenLocations: ['header', 'query'] }))
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.subject }
    })
    const response = await request(createServer(app.callback())).get(
      `/orders?access_token=${token}`,
    )
    expect(response.body).toEqual({ sub: 'user-1' })
  })
})

describe('Fastify adapter', () => {
  async function build(pluginOptions: AuthenticateOptions = options) {
    const app = Fastify()
    await app.register(onFastify.authenticate, pluginOptions)
    return app
  }

  it('leaves routes without authentication, or with auth: false, public and request.auth undefined', async () => {
    const app = await build()
    app.get('/public', async (request) => ({ undefined: request.auth === undefined }))
    app.get('/explicit', { config: { auth: false } }, async (request) => ({
      undefined: request.auth === undefined,
    }))
    for (const url of ['/public', '/explicit']) {
      const response = await app.inject({ url, headers: { authorization: 'Bearer garbage' } })
      expect(response.json(), url).toEqual({ undefined: true })
    }
    await app.close()
  })

  it('a misspelt config.auth fails registration, naming the route and the value meant', async () => {
    const app = await build()
    expect(() =>
      app.get('/x', { config: { auth: 'optinal' as 'optional' } }, async () => 'x'),
    ).toThrow(
      'Route GET /x: invalid "auth": "optinal" is not one of true, false, "optional" or a requirement object such as { scope: "orders:read" }; did you mean "optional"?',
    )
    expect(() =>
      app.get('/y', { config: { auth: { scop: 'orders:read' } as never } }, async () => 'y'),
    ).toThrow(
      'Route GET /y: Invalid oidc-guard requirement:\n  - "scop": unknown option; did you mean "scope"?',
    )
    await app.close()
  })

  it("config.auth authenticates before the route's own hooks and denies before its preHandler", async () => {
    const app = await build()
    const order: string[] = []
    const mark = (name: string) => (_request: unknown, _reply: unknown, done: () => void) => {
      order.push(name)
      done()
    }
    app.get(
      '/orders',
      {
        config: { auth: { scope: 'orders:write' } },
        onRequest: [mark('own onRequest')],
        preHandler: mark('own preHandler'),
      },
      async () => order,
    )
    const response = await app.inject({
      url: '/orders',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(403)
    // The guard runs in the plugin's preHandler, before the route's: a denied request never
    // reaches the application's own preHandler.
    expect(order).toEqual(['own onRequest'])
    await app.close()
  })

  it('runs guards as onRequest hooks too', async () => {
    const app = await build()
    app.get(
      '/orders',
      { onRequest: [app.authenticate, onFastify.requireScope('orders:write')] },
      async () => ({ ok: true }),
    )
    const response = await app.inject({
      url: '/orders',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(403)
    expect(response.headers['www-authenticate']).toBe(CHALLENGE)
    await app.close()
  })

  it('authenticates in onRequest, before the body is parsed', async () => {
    const app = await build()
    let parsed = false
    app.addContentTypeParser('application/json', (_request, _payload, done) => {
      parsed = true
      done(null, {})
    })
    app.post('/orders', { onRequest: app.authenticate }, async () => ({ ok: true }))
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    })
    expect(response.statusCode).toBe(401)
    expect(parsed).toBe(false)
    await app.close()
  })

  it('forwardErrors lets Fastify render the error with its headers', async () => {
    const app = await build({ ...options, forwardErrors: true })
    app.get('/orders', { config: { auth: { scope: 'orders:write' } } }, async () => ({ ok: true }))
    const response = await app.inject({
      url: '/orders',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(403)
    expect(response.headers['www-authenticate']).toBe(CHALLENGE)
    expect(response.json()).toMatchObject({
      statusCode: 403,
      code: 'ERR_BEARER_INSUFFICIENT_SCOPE',
    })
    await app.close()
  })

  it('a guard without fastify.authenticate fails closed with 500', async () => {
    const app = await build()
    app.get('/orders', { preHandler: onFastify.requireRole('admin') }, async () => ({
      leaked: true,
    }))
    const response = await app.inject({
      url: '/orders',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(500)
    expect(response.body).not.toContain('leaked')
    await app.close()
  })

  it('a guard evaluates only the context fastify.authenticate gave this very request', async () => {
    const app = await build()
    const errors: string[] = []
    app.setErrorHandler((error, _request, reply) => {
      errors.push((error as Error).message)
      return reply.code(500).send({ error: 'server_error' })
    })
    let saved: AuthContext | undefined
    app.get('/login', { onRequest: app.authenticate }, async (request) => {
      saved = request.auth
      return {}
    })
    // Another hook writing the same field: an edited copy, or a context saved from another request.
    const put =
      (context: (request: FastifyRequest) => AuthContext | undefined) =>
      (request: FastifyRequest, _reply: unknown, done: () => void) => {
        request.auth = context(request)
        done()
      }
    const edit = put((request) => Object.freeze({ ...request.auth!, roles: ['editor'] }))
    const reuse = put(() => saved)
    const leak = async () => ({ leaked: true })
    const guard = onFastify.requireRole('editor')
    app.get(
      '/edited',
      { onRequest: app.authenticate, preValidation: edit, preHandler: guard },
      leak,
    )
    app.get(
      '/optional',
      { onRequest: app.authenticateOptional, preValidation: reuse, preHandler: guard },
      leak,
    )
    app.get('/declared', { config: { auth: { role: 'editor' } }, preValidation: reuse }, leak)
    await app.inject({ url: '/login', headers: { authorization: `Bearer ${token}` } })
    const other = await sign(key, claims({ iss: jwks.issuer, sub: 'user-2' }))
    for (const [url, bearer] of [
      ['/edited', token],
      ['/optional', undefined],
      ['/declared', other],
    ] as const) {
      const headers = bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }
      const response = await app.inject({ url, headers })
      expect(response.statusCode).toBe(500)
      expect(response.body).not.toContain('leaked')
    }
    const replaced = replacedContext('requireRole(editor)', 'fastify.authenticate')
    expect(errors).toEqual([replaced, replaced, replaced])
    await app.close()
  })

  it('refuses a bad declarative requirement at route registration', async () => {
    const app = await build()
    expect(() => app.get('/x', { config: { auth: { role: [] } } }, async () => ({}))).toThrow(
      ConfigurationError,
    )
    await app.close()
  })

  it('reports the path without its query, and reads query tokens when enabled', async () => {
    const events: DecisionEvent[] = []
    const app = await build({
      ...options,
      tokenLocations: ['header', 'query'],
      onDecision: (event) => events.push(event),
    })
    app.get('/orders', { config: { auth: true } }, async (request) => ({
      sub: request.auth?.subject,
    }))
    const response = await app.inject({ url: `/orders?access_token=${token}` })
    expect(response.json()).toEqual({ sub: 'user-1' })
    expect(events[0]?.path).toBe('/orders')
    await app.close()
  })

  it('reads a form-body token when authenticate runs as a preHandler', async () => {
    const app = await build({ ...options, tokenLocations: ['header', 'body'] })
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)))
      },
    )
    app.post(
      '/orders',
      { preHandler: [app.authenticate, onFastify.requireScope('orders:read')] },
      async (request) => ({ sub: request.auth?.subject }),
    )
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: `access_token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(response.json()).toEqual({ sub: 'user-1' })
    await app.close()
  })

  it('optional routes pass without a token and with request.auth undefined', async () => {
    const app = await build()
    app.get('/feed', { onRequest: app.authenticateOptional }, async (request) => ({
      undefined: request.auth === undefined,
    }))
    expect((await app.inject({ url: '/feed' })).json()).toEqual({ undefined: true })
    expect(onFastify.getAuth({ auth: undefined } as never)).toBeUndefined()
    await app.close()
  })

  it('exposes the authenticator and releases its caches on close', async () => {
    const app = await build()
    app.get('/orders', { config: { auth: true } }, async (request) => ({
      sub: request.auth?.subject,
    }))
    await app.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } })
    const fetches = jwks.jwksFetches()
    await app.close()
    // After close the caches are empty: the same authenticator fetches the keys again.
    await app.oidcGuard.authenticate({
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(jwks.jwksFetches()).toBe(fetches + 1)
  })
})
