import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import Router from '@koa/router'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthenticateOptions } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { send } from '../helpers/http-send.js'
import { claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { baseUrl, buildApp, FRAMEWORK_NAMES, type RunningApp } from '../helpers/route-apps.js'

let jwks: JwksServer
let key: TestKey
beforeAll(async () => {
  ;[jwks, key] = await Promise.all([startJwksServer(), createTestKey('ES256')])
  jwks.keys = [key.publicJwk]
})
afterAll(() => jwks.close())

const options = (extra: Partial<AuthenticateOptions> = {}) =>
  ({
    issuer: jwks.issuer,
    audience: 'orders-api',
    jwksUri: jwks.jwksUri,
    ...extra,
  }) as AuthenticateOptions
const now = () => Math.floor(Date.now() / 1000)
const token = (extra: Record<string, unknown>) => sign(key, claims({ iss: jwks.issuer, ...extra }))

describe.each(FRAMEWORK_NAMES)('RFC 9470 step-up on %s', (framework) => {
  let app: RunningApp
  let base: string
  beforeAll(async () => {
    app = await buildApp(framework, [
      { path: '/acr', options: options(), guards: (a) => [a.requireAcr('urn:mfa', 'phr')] },
      {
        path: '/fresh',
        options: options(),
        guards: (a) => [a.requireAuthTime({ maxAge: 300 })],
      },
      {
        path: '/both',
        options: options(),
        guards: (a) => [a.guard({ acr: 'urn:mfa', authTime: { maxAge: 60 } })],
      },
      {
        path: '/either',
        options: options(),
        guards: (a) => [a.anyOf(a.requireRole('admin'), a.requireAcr('urn:mfa'))],
      },
    ])
    base = await baseUrl(app)
  })
  afterAll(() => app.close())

  const get = async (path: string, extra: Record<string, unknown>) =>
    send(`${base}${path}`, 'GET', { Authorization: `Bearer ${await token(extra)}` })

  it('requireAcr() allows an accepted acr and asks for acr_values otherwise', async () => {
    expect((await get('/acr', { acr: 'phr' })).status).toBe(200)
    for (const extra of [{ acr: 'urn:pwd' }, {}]) {
      const response = await get('/acr', extra)
      expect(response.status).toBe(401)
      expect(response.body).toEqual({
        error: 'insufficient_user_authentication',
        error_description: 'A stronger authentication is required',
      })
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values="urn:mfa phr"',
      )
    }
  })

  it('requireAuthTime() allows a recent login and asks for max_age otherwise', async () => {
    expect((await get('/fresh', { auth_time: now() - 10 })).status).toBe(200)
    for (const extra of [{ auth_time: now() - 3600 }, {}]) {
      const response = await get('/fresh', extra)
      expect(response.status).toBe(401)
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age="300"',
      )
    }
  })

  it('the requirement keys acr and authTime combine; anyOf offers the step-up alternative', async () => {
    expect((await get('/both', { acr: 'urn:mfa', auth_time: now() })).status).toBe(200)
    const stale = await get('/both', { acr: 'urn:mfa', auth_time: now() - 120 })
    expect(stale.headers['www-authenticate']).toContain('max_age="60"')
    expect((await get('/either', { roles: ['admin'] })).status).toBe(200)
    const either = await get('/either', {})
    expect(either.status).toBe(401)
    expect(either.headers['www-authenticate']).toContain('acr_values="urn:mfa"')
  })
})

// RFC 9728: the metadata document on every adapter, and resource_metadata in challenges.
const RESOURCE = 'https://api.example.com/orders'
const WELL_KNOWN = '/.well-known/oauth-protected-resource/orders'
const CHALLENGE_PARAM = `resource_metadata="https://api.example.com${WELL_KNOWN}"`

async function metadataApp(framework: string, extra: Partial<AuthenticateOptions>) {
  const opts = options({ resourceMetadata: { resource: RESOURCE }, ...extra })
  if (framework === 'express') {
    const app = express()
    const read = onExpress.requireScope('orders:read')
    app.use(
      onExpress.protectedResourceMetadata(opts, read, onExpress.requireAnyScope('orders:write')),
    )
    app.get('/orders', onExpress.authenticate(opts), read, (_req, res) => void res.json({}))
    return createServer(app)
  }
  if (framework === 'koa') {
    const app = new Koa()
    const router = new Router()
    const read = onKoa.requireScope('orders:read')
    app.use(onKoa.protectedResourceMetadata(opts, read, onKoa.requireAnyScope('orders:write')))
    router.get('/orders', onKoa.authenticate(opts), read, (ctx) => {
      ctx.body = {}
    })
    app.use(router.routes())
    return createServer(app.callback())
  }
  const app = Fastify()
  await app.register(onFastify.authenticate, opts)
  app.get(
    '/orders',
    { onRequest: app.authenticate, preHandler: onFastify.requireScope('orders:read') },
    async () => ({}),
  )
  app.post('/orders', { config: { auth: { anyScope: 'orders:write' } } }, async () => ({}))
  await app.ready()
  return app.server
}

describe.each(FRAMEWORK_NAMES)('RFC 9728 protected resource metadata on %s', (framework) => {
  it('serves the document at the path-suffixed well-known URL, from the configuration', async () => {
    const server = await metadataApp(framework, {
      dpop: {},
      mtls: {},
      tokenLocations: ['header', 'body'],
    })
    const app = {
      server,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
    try {
      const base = await baseUrl(app)
      const response = await send(`${base}${WELL_KNOWN}`)
      expect(response.status).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.body).toEqual({
        resource: RESOURCE,
        authorization_servers: [jwks.issuer],
        scopes_supported: ['orders:read', 'orders:write'],
        bearer_methods_supported: ['header', 'body'],
        dpop_signing_alg_values_supported: [
          'ES256',
          'ES384',
          'ES512',
          'EdDSA',
          'Ed25519',
          'PS256',
          'PS384',
          'PS512',
          'RS256',
        ],
        dpop_bound_access_tokens_required: false,
        tls_client_certificate_bound_access_tokens: true,
      })
      // The bare well-known path is not this resource's (RFC 9728 §3.1).
      expect((await send(`${base}/.well-known/oauth-protected-resource`)).status).toBe(404)
      // 401 challenges point at it (RFC 9728 §5.1).
      const challenge = (await send(`${base}/orders`)).headers['www-authenticate']
      expect(challenge).toBe(
        `DPoP realm="api", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256", ${CHALLENGE_PARAM}, Bearer realm="api", ${CHALLENGE_PARAM}`,
      )
      const denied = await send(`${base}/orders`, 'GET', {
        Authorization: `Bearer ${await token({ scope: 'other' })}`,
      })
      expect(denied.status).toBe(403)
      expect(denied.headers['www-authenticate']).toContain(
        `error="insufficient_scope", error_description="The access token lacks the required scope", scope="orders:read", ${CHALLENGE_PARAM}`,
      )
    } finally {
      await app.close()
    }
  })

  it('explicit scopes, names and a resource without a path', async () => {
    const server = await metadataApp(framework, {
      resourceMetadata: {
        resource: 'https://api.example.com',
        authorizationServers: ['https://as.example.com'],
        scopesSupported: ['a', 'b'],
        resourceName: 'Orders',
        resourceDocumentation: 'https://docs.example.com',
      },
      dpop: { required: true, algorithms: ['ES256'] },
    })
    const app = {
      server,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
    try {
      const base = await baseUrl(app)
      const response = await send(`${base}/.well-known/oauth-protected-resource?x=1`)
      expect(response.body).toEqual({
        resource: 'https://api.example.com',
        authorization_servers: ['https://as.example.com'],
        scopes_supported: ['a', 'b'],
        bearer_methods_supported: ['header'],
        resource_name: 'Orders',
        resource_documentation: 'https://docs.example.com',
        dpop_signing_alg_values_supported: ['ES256'],
        dpop_bound_access_tokens_required: true,
        tls_client_certificate_bound_access_tokens: false,
      })
      expect((await send(`${base}/orders`)).headers['www-authenticate']).toBe(
        'DPoP realm="api", algs="ES256", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
      )
    } finally {
      await app.close()
    }
  })
})
