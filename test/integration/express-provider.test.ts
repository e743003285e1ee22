import express from 'express'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SingleIssuerOptions } from 'oidc-guard'
import { authenticate, requireRole, requireScope } from 'oidc-guard/express'
import { startJwksServer } from '../helpers/jwks-server.js'
import { encodeSegment } from '../helpers/keys.js'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'

let provider: TestProvider

beforeAll(async () => {
  provider = await startProvider()
})
afterAll(() => provider.close())
afterEach(() => provider.setJwksAvailable(true))

function ordersApi(overrides: Partial<SingleIssuerOptions> = {}) {
  const app = express()
  app.get('/health', (_req, res) => void res.json({ ok: true }))
  app.get(
    '/orders',
    authenticate({ issuer: provider.issuer, audience: RESOURCE, ...overrides }),
    requireScope('orders:read'),
    (req, res) => {
      res.json({ client: req.auth?.clientId, roles: req.auth?.roles })
    },
  )
  app.post(
    '/orders',
    authenticate({ issuer: provider.issuer, audience: RESOURCE, ...overrides }),
    requireScope('orders:write'),
    requireRole('editor'),
    (_req, res) => {
      res.status(201).json({ created: true })
    },
  )
  return app
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function withKid(token: string, kid: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const decoded = JSON.parse(Buffer.from(header, 'base64url').toString())
  return `${encodeSegment({ ...decoded, kid })}.${payload}.${signature}`
}

describe('Express against a real OpenID provider (oidc-provider)', () => {
  it('accepts client_credentials JWT access tokens by discovery, with scopes and roles', async () => {
    const app = ordersApi()
    const response = await request(app)
      .get('/orders')
      .set('Authorization', `Bearer ${await provider.token('reader')}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ client: 'reader', roles: ['viewer'] })
    const writer = await provider.token('writer')
    await request(app).post('/orders').set('Authorization', `Bearer ${writer}`).expect(201)
    const denied = await request(app)
      .post('/orders')
      .set('Authorization', `Bearer ${await provider.token('reader')}`)
    expect(denied.status).toBe(403)
    expect(denied.headers['www-authenticate']).toContain('scope="orders:write"')
  })

  it('accepts tokens signed by a rotated key without a restart, and keeps the old key while published', async () => {
    const app = ordersApi({ cooldownDuration: 200 })
    const before = await provider.token('reader')
    await request(app).get('/orders').set('Authorization', `Bearer ${before}`).expect(200)
    await provider.rotateKeys()
    const after = await provider.token('reader')
    expect(after.split('.')[0]).not.toBe(before.split('.')[0])
    await sleep(250)
    await request(app).get('/orders').set('Authorization', `Bearer ${after}`).expect(200)
    await request(app).get('/orders').set('Authorization', `Bearer ${before}`).expect(200)
  })

  it('refuses a token signed by a key the provider removed, even one it accepted before', async () => {
    const app = ordersApi({ cooldownDuration: 0 })
    const old = await provider.token('reader')
    await request(app).get('/orders').set('Authorization', `Bearer ${old}`).expect(200)
    await provider.rotateKeys({ keepPrevious: false })
    await request(app)
      .get('/orders')
      .set('Authorization', `Bearer ${await provider.token('reader')}`)
      .expect(200)
    // A key is refused once consecutive fetches confirm it gone (MISSES_BEFORE_REMOVAL, about
    // two seconds with the 1 s confirmation timer), not on the first fetch that misses it.
    let refused = await request(app).get('/orders').set('Authorization', `Bearer ${old}`)
    for (let tries = 0; refused.status === 200 && tries < 40; tries++) {
      await sleep(250)
      refused = await request(app).get('/orders').set('Authorization', `Bearer ${old}`)
    }
    expect(refused.status).toBe(401)
    expect(refused.body).toEqual({
      error: 'invalid_token',
      error_description: 'No key of the issuer matches the access token',
    })
  })

  it('keeps serving with cached keys when the JWKS endpoint goes down, and answers 503 for keys it cannot get', async () => {
    const app = ordersApi({ cooldownDuration: 100 })
    const warm = await provider.token('reader')
    await request(app).get('/orders').set('Authorization', `Bearer ${warm}`).expect(200)
    provider.setJwksAvailable(false)
    const fresh = await provider.token('writer')
    for (let i = 0; i < 5; i++) {
      await request(app).get('/orders').set('Authorization', `Bearer ${warm}`).expect(200)
      await request(app).get('/orders').set('Authorization', `Bearer ${fresh}`).expect(200)
    }
    await provider.rotateKeys()
    await sleep(150)
    const rotated = await provider.token('reader')
    const unavailable = await request(app).get('/orders').set('Authorization', `Bearer ${rotated}`)
    expect(unavailable.status).toBe(503)
    expect(unavailable.headers['retry-after']).toBe('1')
    expect(unavailable.headers['www-authenticate']).toBeUndefined()
    expect(unavailable.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The signing keys are temporarily unavailable',
    })
    provider.setJwksAvailable(true)
    await sleep(150)
    await request(app).get('/orders').set('Authorization', `Bearer ${rotated}`).expect(200)
  })

  it('an unknown-kid flood costs at most one JWKS fetch per cooldown window', async () => {
    const app = ordersApi({ cooldownDuration: 60_000 })
    const token = await provider.token('reader')
    await request(app).get('/orders').set('Authorization', `Bearer ${token}`).expect(200)
    const fetchesBefore = provider.jwksFetches()
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request(app)
          .get('/orders')
          .set('Authorization', `Bearer ${withKid(token, `made-up-${i}`)}`),
      ),
    )
    expect(responses.every((response) => response.status === 401)).toBe(true)
    expect(provider.jwksFetches() - fetchesBefore).toBeLessThanOrEqual(1)
    await request(app).get('/health').expect(200)
  })

  it('answers 503 within a bounded time when the JWKS endpoint hangs, and keeps serving', async () => {
    const jwks = await startJwksServer()
    jwks.behaviour = { kind: 'hang' }
    const app = ordersApi({ jwksUri: jwks.jwksUri, timeoutDuration: 300 })
    const started = performance.now()
    const response = await request(app)
      .get('/orders')
      .set('Authorization', `Bearer ${await provider.token('reader')}`)
    const elapsed = performance.now() - started
    expect(response.status).toBe(503)
    expect(elapsed).toBeLessThan(3_000)
    await request(app).get('/health').expect(200)
    await jwks.close()
  })
})
