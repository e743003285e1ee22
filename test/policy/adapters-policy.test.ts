import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, loadPolicy, type DecisionEvent, type Policy } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { AUDIENCE, claims, createTestKey, ISSUER, sign, type TestKey } from '../helpers/keys.js'

let key: TestKey
let jwks: JwksServer
let policy: Policy
let token: string
beforeAll(async () => {
  key = await createTestKey()
  jwks = await startJwksServer()
  jwks.keys = [key.publicJwk]
  token = await sign(key, claims({ roles: ['editor'], email: 'ed@example.com' }))
  policy = await loadPolicy({
    document: {
      version: 3,
      actions: { 'orders.read': null, 'orders.delete': null },
      rules: [
        {
          id: 'editors-read',
          action: 'orders.read',
          allow: { role: 'editor' },
          when: { claim: 'email', exists: true },
        },
        { id: 'admins-delete', action: 'orders.delete', allow: { role: 'admin' } },
      ],
      routes: { 'GET /orders/:id': 'orders.read' },
    },
    redact: ['claims.email'],
  })
})
afterAll(async () => {
  policy.close()
  await jwks.close()
})

function options(events: DecisionEvent[], withPolicy = true) {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: jwks.jwksUri,
    onDecision: (event: DecisionEvent) => void events.push(event),
    ...(withPolicy && { policy }),
  }
}

describe.each(['express', 'koa', 'fastify'])(
  'enforcePolicy() and requireAction() on %s',
  (framework) => {
    async function app(events: DecisionEvent[], withPolicy = true) {
      const opts = options(events, withPolicy)
      if (framework === 'express') {
        const app = express()
        app.use(onExpress.authenticate(opts))
        app.get('/orders/:id', onExpress.enforcePolicy(), (_req, res) => void res.send('ok'))
        app.get(
          '/open',
          onExpress.enforcePolicy({ unbound: 'pass' }),
          (_req, res) => void res.send('ok'),
        )
        app.delete(
          '/orders/:id',
          onExpress.requireAction('orders.delete'),
          (_req, res) => void res.send('ok'),
        )
        return app
      }
      if (framework === 'koa') {
        const app = new Koa()
        app.use(onKoa.authenticate(opts))
        app.use(async (ctx, next) => {
          const guard =
            ctx.path === '/open'
              ? onKoa.enforcePolicy({ unbound: 'pass' })
              : ctx.method === 'DELETE'
                ? onKoa.requireAction('orders.delete')
                : onKoa.enforcePolicy()
          await guard(ctx, async () => {
            ctx.body = 'ok'
          })
          void next
        })
        return app.callback()
      }
      const app = Fastify()
      await app.register(onFastify.authenticate, opts)
      app.addHook('onRequest', app.authenticate)
      app.get('/orders/:id', { preHandler: onFastify.enforcePolicy() }, async () => 'ok')
      app.get(
        '/open',
        { preHandler: onFastify.enforcePolicy({ unbound: 'pass' }) },
        async () => 'ok',
      )
      app.delete(
        '/orders/:id',
        { preHandler: onFastify.requireAction('orders.delete') },
        async () => 'ok',
      )
      await app.ready()
      return app.server
    }

    it('a bound route is decided by its rule; the event carries version, rule and redacted inputs', async () => {
      const events: DecisionEvent[] = []
      const response = await request(await app(events))
        .get('/orders/9')
        .set('authorization', `Bearer ${token}`)
      expect(response.status).toBe(200)
      const decision = events.find((event) => event.type === 'authorize')
      expect(decision).toMatchObject({
        allowed: true,
        policyVersion: 3,
        action: 'orders.read',
        rule: 'editors-read',
        route: 'GET /orders/:id',
        inputs: { 'auth.roles': ['editor'] },
        redacted: ['claims.email'],
      })
      expect(JSON.stringify(events)).not.toContain(token)
      expect(JSON.stringify(events)).not.toContain('ed@example.com')
    })

    it('requireAction() denies with 403 insufficient_scope and the rule-less reason', async () => {
      const events: DecisionEvent[] = []
      const response = await request(await app(events))
        .delete('/orders/9')
        .set('authorization', `Bearer ${token}`)
      expect(response.status).toBe(403)
      expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"')
      expect(events.find((event) => event.type === 'authorize')).toMatchObject({
        allowed: false,
        status: 403,
        reason: 'no rule allows orders.delete',
        policyVersion: 3,
      })
    })

    it("unbound routes: 403 'no rule' by default, passed through with unbound: 'pass'", async () => {
      const events: DecisionEvent[] = []
      const server = await app(events)
      const passed = await request(server).get('/open').set('authorization', `Bearer ${token}`)
      expect(passed.status).toBe(200)
      expect(events.find((event) => event.type === 'authorize')?.reason).toBe(
        "no rule: no route binding matches this request; passed through (unbound: 'pass')",
      )
    })

    it('without { policy } on authenticate, policy middleware denies (fails closed)', async () => {
      const events: DecisionEvent[] = []
      const response = await request(await app(events, false))
        .get('/orders/9')
        .set('authorization', `Bearer ${token}`)
      expect(response.status).toBe(403)
      expect(events.find((event) => event.type === 'authorize')?.reason).toBe(
        'no policy: pass { policy } to authenticate()',
      )
    })
  },
)

describe('policy middleware arguments', () => {
  it('are checked when the route is declared', () => {
    expect(() => onExpress.requireAction('')).toThrow(ConfigurationError)
    expect(() => onExpress.enforcePolicy({ unbound: 'allow' as never })).toThrow(ConfigurationError)
  })

  it('authenticate({ policy }) accepts only a loaded policy', () => {
    expect(() =>
      onExpress.authenticate({ issuer: ISSUER, audience: AUDIENCE, policy: {} as never }),
    ).toThrow(/Expected a policy from loadPolicy\(\)/)
  })
})
