import express from 'express'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { DecisionEvent, IntrospectionOptions, SingleIssuerOptions } from 'oidc-guard'
import { authenticate, requireScope } from 'oidc-guard/express'
import {
  JWT_RESOURCE,
  OPAQUE_RESOURCE,
  SECRET,
  startRevocationProvider,
  type RevocationProvider,
} from '../helpers/revocation-provider.js'

let provider: RevocationProvider

beforeAll(async () => {
  provider = await startRevocationProvider()
})
afterAll(() => provider.close())
afterEach(() => provider.setAvailable(true))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function api(
  introspection: Partial<IntrospectionOptions> = {},
  overrides: Partial<SingleIssuerOptions> = {},
) {
  const app = express()
  app.get(
    '/orders',
    authenticate({
      issuer: provider.issuer,
      audience: [OPAQUE_RESOURCE, JWT_RESOURCE],
      introspection: { clientId: 'api-basic', clientSecret: SECRET, ...introspection },
      ...overrides,
    }),
    requireScope('orders:read'),
    (req, res) => {
      res.json({ client: req.auth?.clientId, scopes: req.auth?.scopes, aud: req.auth?.audience })
    },
  )
  return app
}

describe('RFC 7662 introspection against a real oidc-provider (opaque access tokens)', () => {
  it.each([
    ['client_secret_basic', { clientId: 'api-basic', clientSecret: SECRET }],
    ['client_secret_post', { clientId: 'api-post', clientSecret: SECRET }],
  ] as const)('accepts an opaque token introspected with %s', async (method, credentials) => {
    const token = await provider.token()
    expect(token.split('.')).toHaveLength(1)
    const response = await request(api({ ...credentials, clientAuthMethod: method }))
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      client: 'machine',
      scopes: ['orders:read'],
      aud: [OPAQUE_RESOURCE],
    })
  })

  it('accepts an opaque token introspected with private_key_jwt', async () => {
    const token = await provider.token()
    const app = api({
      clientId: 'api-jwt',
      clientSecret: undefined,
      privateKey: provider.apiPrivateKey,
    })
    await request(app).get('/orders').set('Authorization', `Bearer ${token}`).expect(200)
  })

  it('refuses a token when the API client cannot authenticate (503: our failure, not the token’s)', async () => {
    const token = await provider.token()
    const response = await request(api({ clientSecret: 'a-wrong-secret-for-the-api-client' }))
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(503)
    expect(response.body.error).toBe('temporarily_unavailable')
  })

  it('accepts an RFC 9701 signed introspection answer, verified with the issuer’s keys', async () => {
    const token = await provider.token()
    const app = api({ clientId: 'api-signed', clientSecret: SECRET, jwtResponse: true })
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(200)
    expect(response.body.client).toBe('machine')
  })

  it('introspects a token once: concurrent and repeated requests are served from the caches', async () => {
    const token = await provider.token()
    const app = api()
    const before = provider.introspections()
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(app).get('/orders').set('Authorization', `Bearer ${token}`),
      ),
    )
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200])
    for (let index = 0; index < 5; index++)
      await request(app).get('/orders').set('Authorization', `Bearer ${token}`).expect(200)
    expect(provider.introspections() - before).toBe(1)
  })

  it('refuses a token revoked at the provider once the positive cache window has passed, and remembers the refusal', async () => {
    const token = await provider.token()
    const app = api({ cacheMaxAge: 1500, negativeCacheTtl: 60_000 })
    const call = () => request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    await call().expect(200)
    await provider.revoke(token)
    // Within the window the remembered answer serves, without a call to the provider.
    const before = provider.introspections()
    await call().expect(200)
    expect(provider.introspections()).toBe(before)
    await sleep(1600)
    const refused = await call()
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is not active"',
    )
    await call().expect(401)
    expect(provider.introspections()).toBe(before + 1)
  })

  it('answers 503 with Retry-After when the provider is down, and reports why', async () => {
    const token = await provider.token()
    const events: DecisionEvent[] = []
    const app = api({}, { onDecision: (event) => events.push(event) })
    provider.setAvailable(false)
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The token introspection endpoint is temporarily unavailable',
    })
    expect(events[0]).toMatchObject({
      allowed: false,
      status: 503,
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
      reason: 'The token introspection endpoint is temporarily unavailable',
    })
    provider.setAvailable(true)
    await request(app).get('/orders').set('Authorization', `Bearer ${token}`).expect(200)
  })

  it('verifies JWTs locally and introspects only opaque tokens (mixed deployment)', async () => {
    const app = api()
    const before = provider.introspections()
    const jwt = await provider.token(JWT_RESOURCE)
    expect(jwt.split('.')).toHaveLength(3)
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${jwt}`)
    expect(response.status).toBe(200)
    expect(response.body.aud).toEqual([JWT_RESOURCE])
    expect(provider.introspections()).toBe(before)
  })

  it('refuses an unknown opaque token as inactive, and a token for another audience', async () => {
    await request(api())
      .get('/orders')
      .set('Authorization', 'Bearer not-a-token-the-provider-issued')
      .expect(401)
    const token = await provider.token()
    const app = express()
    app.get(
      '/orders',
      authenticate({
        issuer: provider.issuer,
        audience: 'https://another.example.com',
        introspection: {
          clientId: 'api-post',
          clientSecret: SECRET,
          clientAuthMethod: 'client_secret_post',
        },
      }),
      (_req, res) => void res.json({}),
    )
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(401)
    expect(response.body.error_description).toBe('The access token is not meant for this audience')
  })
})
