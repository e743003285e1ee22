import { createSecretKey } from 'node:crypto'
import express from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator, isOidcGuardError } from 'oidc-guard'
import { authenticate } from 'oidc-guard/express'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { encodeSegment } from '../helpers/keys.js'
import { rawJws, rawRsaKey, type RawKey } from '../helpers/raw-jws.js'

let idp: JwksServer
let key: RawKey
const now = () => Math.floor(Date.now() / 1000)

beforeAll(async () => {
  idp = await startJwksServer()
  key = rawRsaKey('k')
  idp.keys = [key.jwk]
})
afterAll(() => idp.close())

const claimsFor = (iss: string, extra: Record<string, unknown> = {}) => ({
  iss,
  aud: 'api',
  sub: 'u',
  iat: now(),
  exp: now() + 600,
  ...extra,
})
const tokenFor = (iss: string, extra: Record<string, unknown> = {}) =>
  rawJws(key, { alg: 'RS256', kid: 'k', typ: 'at+jwt' }, claimsFor(iss, extra))
const bearer = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } })

async function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'ok',
    (error: unknown) => {
      if (!isOidcGuardError(error)) throw error
      return error.status
    },
  )
}

describe('hostile and failing JWKS endpoints, over HTTP', () => {
  // The documented rule: a key set that cannot be fetched is our failure (503); a key set that
  // was fetched but holds no usable key for the token is the token's (401).
  const cases = [
    { name: 'hangs', behaviour: { kind: 'hang' }, status: 503 },
    { name: 'answers after the timeout', behaviour: { kind: 'slow', delayMs: 3_000 }, status: 503 },
    {
      name: 'returns 20 MB',
      behaviour: { kind: 'body', body: Buffer.alloc(20 * 1024 * 1024, 0x20) },
      status: 503,
    },
    {
      name: 'declares 20 MB',
      behaviour: { kind: 'body', body: Buffer.alloc(20 * 1024 * 1024, 0x20), declareLength: true },
      status: 503,
    },
    { name: 'returns invalid JSON', behaviour: { kind: 'body', body: '{"keys":[{' }, status: 503 },
    {
      name: 'returns an HTML login page',
      behaviour: { kind: 'body', body: '<!doctype html><form>', contentType: 'text/html' },
      status: 503,
    },
    {
      name: 'redirects elsewhere',
      behaviour: { kind: 'redirect', location: 'http://127.0.0.1:9/keys' },
      status: 503,
    },
    { name: 'answers 500', behaviour: { kind: 'status', status: 500 }, status: 503 },
    { name: 'resets the connection', behaviour: { kind: 'reset' }, status: 503 },
    {
      name: 'publishes thousands of keys',
      keys: () => Array.from({ length: 5_000 }, (_, i) => ({ ...key.jwk, kid: `k${i}` })),
      status: 503,
    },
    {
      name: 'publishes the key with the wrong type',
      keys: () => [{ kty: 'EC', crv: 'P-256', kid: 'k', x: 'AAAA', y: 'AAAA' }],
      status: 401,
    },
    {
      // No usable signing key at all: an endpoint fault (issue 16), so cached keys would serve.
      name: 'publishes the key for encryption only',
      keys: () => [{ ...key.jwk, use: 'enc' }],
      status: 503,
    },
  ] as const

  it.each(cases)(
    'answers $status within the timeout when the JWKS endpoint $name, and /health keeps answering',
    async (testCase) => {
      const jwks = await startJwksServer()
      if ('behaviour' in testCase) jwks.behaviour = testCase.behaviour as never
      jwks.keys = 'keys' in testCase ? (testCase.keys() as never) : [key.jwk]
      const app = express()
      app.get('/health', (_req, res) => void res.json({ ok: true }))
      app.get(
        '/orders',
        authenticate({
          issuer: idp.issuer,
          audience: 'api',
          jwksUri: jwks.jwksUri,
          timeoutDuration: 500,
        }),
        (_req, res) => void res.json({}),
      )
      const started = performance.now()
      const pending = request(app)
        .get('/orders')
        .set('Authorization', `Bearer ${tokenFor(idp.issuer)}`)
      const health = await request(app).get('/health')
      expect(health.status).toBe(200)
      const response = await pending
      const elapsed = performance.now() - started
      expect(response.status).toBe(testCase.status)
      // Timeout 500 ms; a generous margin for a loaded CI machine.
      expect(elapsed).toBeLessThan(2_500)
      // That 20 MB bodies are cut at maxResponseSize, not buffered, is asserted by counting the
      // bytes read in test/core/key-set.test.ts (Buffers live outside the V8 heap).
      await jwks.close()
    },
  )
})

describe('bounded resources', () => {
  it('100,000 distinct valid tokens leave at most tokenCacheSize verified tokens', async () => {
    const secret = Buffer.alloc(32, 7)
    const auth = createAuthenticator({
      issuer: idp.issuer,
      audience: 'api',
      secret,
      tokenCacheSize: 10_000,
    })
    const header = { alg: 'HS256', typ: 'at+jwt' }
    const key = { privateKey: createSecretKey(secret) }
    const base = claimsFor(idp.issuer)
    // Batches of concurrent requests: WebCrypto verifies on the thread pool, so one at a time
    // would measure its latency, not the bound.
    for (let batch = 0; batch < 100; batch++) {
      const tokens = Array.from({ length: 1_000 }, (_, i) => {
        return rawJws(key, header, { ...base, jti: `t${batch}-${i}` })
      })
      await Promise.all(tokens.map((token) => auth.authenticate(bearer(token))))
    }
    expect(auth.stats()).toEqual({ verifiedTokens: 10_000, issuers: 1, keys: 0, unknownTenants: 0 })
  }, 120_000)

  it('100,000 made-up kids cost one fetch per cooldown window and add no keys', async () => {
    // A window as long as the test's own time limit, so a slow (loaded, instrumented) run cannot
    // outlast it and see the second window's legitimate refetch.
    const auth = createAuthenticator({
      issuer: idp.issuer,
      audience: 'api',
      jwksUri: idp.jwksUri,
      cooldownDuration: 120_000,
    })
    await auth.authenticate(bearer(tokenFor(idp.issuer)))
    const fetches = idp.jwksFetches()
    const started = performance.now()
    const [, payload, signature] = tokenFor(idp.issuer).split('.')
    for (let i = 0; i < 100_000; i++) {
      const token = `${encodeSegment({ alg: 'RS256', kid: `made-up-${i}`, typ: 'at+jwt' })}.${payload}.${signature}`
      expect(await settle(auth.authenticate(bearer(token)))).toBe(401)
    }
    // One refetch per started cooldown window (a loaded run may outlast one).
    const windows = Math.ceil((performance.now() - started) / 120_000)
    expect(idp.jwksFetches() - fetches).toBeLessThanOrEqual(windows)
    expect(auth.stats()).toMatchObject({ issuers: 1, keys: 1 })
  }, 120_000)

  it('100,000 made-up issuers and tenants: no fetch, and bounded negative caches', async () => {
    let resolverCalls = 0
    const auth = createAuthenticator({
      issuers: [
        { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
        {
          issuer: `${idp.url}/realms/{tenant}`,
          audience: 'api',
          jwksUri: idp.jwksUri,
          resolveTenant: () => ((resolverCalls += 1), false),
        },
        {
          issuer: `${idp.url}/allow/{tenant}`,
          audience: 'api',
          jwksUri: idp.jwksUri,
          tenants: ['acme'],
        },
      ],
      unknownTenantCacheSize: 5_000,
    })
    const hits = () => [...idp.hits.values()].reduce((sum, count) => sum + count, 0)
    const before = hits()
    const [header, , signature] = tokenFor(idp.issuer).split('.')
    for (let i = 0; i < 100_000; i++) {
      const iss = [
        `https://made-up-${i}.example`,
        `${idp.url}/realms/t${i}`,
        `${idp.url}/allow/t${i}`,
      ][i % 3] as string
      const token = `${header}.${encodeSegment({ iss })}.${signature}`
      expect(await settle(auth.authenticate(bearer(token)))).toBe(401)
    }
    expect(hits()).toBe(before)
    expect(resolverCalls).toBe(33_333)
    expect(auth.stats()).toEqual({ verifiedTokens: 0, issuers: 1, keys: 0, unknownTenants: 5_000 })
  }, 120_000)

  it('caps token length with a defined error', async () => {
    const auth = createAuthenticator({
      issuer: idp.issuer,
      audience: 'api',
      jwksUri: idp.jwksUri,
      maxTokenLength: 1000,
    })
    await expect(auth.authenticate(bearer('a'.repeat(1001)))).rejects.toMatchObject({
      status: 401,
      message: 'The access token is too large',
    })
  })
})
