import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DPOP_DEFAULT_ALGORITHMS } from 'oidc-guard'
import { createDpopClient, type DpopClient } from '../helpers/dpop.js'
import { send } from '../helpers/http-send.js'
import { encodeSegment } from '../helpers/keys.js'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'
import { baseUrl, buildApp, FRAMEWORK_NAMES, type RunningApp } from '../helpers/route-apps.js'

// Real DPoP-bound access tokens from oidc-provider (RFC 9449 §5), proofs made with the client's
// key, checked by each adapter at the resource server (§4.3, §7).
let provider: TestProvider
let client: DpopClient
let other: DpopClient
let bound: string
let unbound: string

const ALGS = DPOP_DEFAULT_ALGORITHMS.join(' ')
const NONCE_SECRET = 'a-nonce-secret-that-is-32-bytes-long!'

beforeAll(async () => {
  provider = await startProvider()
  client = await createDpopClient('ES256')
  other = await createDpopClient('EdDSA')
  bound = await provider.dpopToken('reader', (htu) => client.proof('POST', htu))
  unbound = await provider.token('reader')
})
afterAll(() => provider.close())

const description = (header: string | string[] | undefined) =>
  /error_description="([^"]*)"/.exec(String(header))?.[1]

describe('oidc-provider issues DPoP-bound tokens', () => {
  it('binds the token to the client key: cnf.jkt is its RFC 7638 thumbprint', () => {
    expect(decodeJwt(bound).cnf).toEqual({ jkt: client.thumbprint })
    expect(decodeJwt(unbound).cnf).toBeUndefined()
  })
})

describe.each(FRAMEWORK_NAMES)('DPoP on %s (RFC 9449)', (framework) => {
  let app: RunningApp
  let base: string
  beforeAll(async () => {
    const options = { issuer: provider.issuer, audience: RESOURCE }
    app = await buildApp(framework, [
      {
        path: '/orders',
        options: { ...options, dpop: {} },
        guards: (adapter) => [adapter.requireScope('orders:read')],
      },
      { path: '/required', options: { ...options, dpop: { required: true } } },
      { path: '/by-issuer', options: { ...options, dpop: { required: [provider.issuer] } } },
      {
        path: '/route',
        options: { ...options, dpop: {} },
        guards: (adapter) => [adapter.requireDpop()],
      },
      { path: '/nonce', options: { ...options, dpop: { nonce: { secret: NONCE_SECRET } } } },
      { path: '/plain', options },
    ])
    base = await baseUrl(app)
  })
  afterAll(() => app.close())

  const call = (path: string, proof: string | string[] | undefined, token = bound) =>
    send(`${base}${path}`, 'GET', {
      Authorization: `DPoP ${token}`,
      ...(proof !== undefined && { DPoP: proof }),
    })
  const proofFor = (path: string, overrides = {}, header = {}) =>
    client.proof('GET', `${base}${path}`, bound, overrides, header)

  async function refused(
    path: string,
    proof: string | string[] | undefined,
    error: string,
    token = bound,
  ) {
    const response = await call(path, proof, token)
    expect(response.status).toBe(401)
    expect(response.body).toMatchObject({ error })
    expect(response.headers['www-authenticate']).toContain(`DPoP realm="api", error="${error}"`)
    return response
  }

  it('accepts a bound token with a valid proof, again with a fresh proof (cached token)', async () => {
    const first = await call('/orders', await proofFor('/orders'))
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ clientId: 'reader', scopes: ['orders:read'] })
    expect((await call('/orders', await proofFor('/orders'))).status).toBe(200)
    // §4.3 check 9: the query is not part of htu.
    const withQuery = await send(`${base}/orders?page=2`, 'GET', {
      Authorization: `DPoP ${bound}`,
      DPoP: await proofFor('/orders'),
    })
    expect(withQuery.status).toBe(200)
  })

  it('§4.3 (1): refuses two DPoP headers, and a DPoP request without one', async () => {
    const response = await refused(
      '/orders',
      [await proofFor('/orders'), await proofFor('/orders')],
      'invalid_dpop_proof',
    )
    expect(description(response.headers['www-authenticate'])).toBe(
      'Only one DPoP header is allowed',
    )
    await refused('/orders', undefined, 'invalid_dpop_proof')
  })

  it('§4.3 (2, 4): refuses a malformed proof and a wrong typ', async () => {
    await refused('/orders', 'not.a-jws', 'invalid_dpop_proof')
    const typ = await refused(
      '/orders',
      await proofFor('/orders', {}, { typ: 'JWT' }),
      'invalid_dpop_proof',
    )
    expect(description(typ.headers['www-authenticate'])).toBe(
      'The DPoP proof type must be dpop+jwt',
    )
  })

  it('§4.3 (5): refuses alg none and a symmetric alg', async () => {
    const claims = {
      htm: 'GET',
      htu: `${base}/orders`,
      iat: Math.floor(Date.now() / 1000),
      jti: 'x',
    }
    const none = `${encodeSegment({ typ: 'dpop+jwt', alg: 'none', jwk: client.publicJwk })}.${encodeSegment(claims)}.AA`
    const response = await refused('/orders', none, 'invalid_dpop_proof')
    expect(description(response.headers['www-authenticate'])).toBe(
      'The DPoP proof algorithm is not accepted',
    )
    const hs = `${encodeSegment({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${encodeSegment(claims)}.AA`
    await refused('/orders', hs, 'invalid_dpop_proof')
  })

  it('§4.3 (6): refuses a proof whose signature does not verify', async () => {
    const proof = await proofFor('/orders')
    const [header, payload] = proof.split('.')
    const forged = `${header}.${payload}.${(await proofFor('/orders')).split('.')[2]}`
    const response = await refused('/orders', forged, 'invalid_dpop_proof')
    expect(description(response.headers['www-authenticate'])).toBe(
      'The DPoP proof signature is invalid',
    )
  })

  it('§4.3 (7): refuses a proof carrying the private key in its jwk', async () => {
    const response = await refused(
      '/orders',
      await proofFor('/orders', {}, { jwk: client.privateJwk }),
      'invalid_dpop_proof',
    )
    expect(description(response.headers['www-authenticate'])).toBe(
      'The DPoP proof must carry one public key in jwk',
    )
  })

  it('§4.3 (8, 9): refuses a proof for another method or another URL', async () => {
    const htm = await refused(
      '/orders',
      await client.proof('POST', `${base}/orders`, bound),
      'invalid_dpop_proof',
    )
    expect(description(htm.headers['www-authenticate'])).toBe(
      'The DPoP proof is for another HTTP method',
    )
    for (const htu of [
      `${base}/other`,
      `https://127.0.0.1:1/orders`,
      `http://localhost:1/orders`,
    ]) {
      const response = await refused(
        '/orders',
        await client.proof('GET', htu, bound),
        'invalid_dpop_proof',
      )
      expect(description(response.headers['www-authenticate'])).toBe(
        'The DPoP proof is for another URL',
      )
    }
  })

  it('§4.3 (11): refuses an old proof and one issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000)
    for (const iat of [now - 600, now + 600]) {
      const response = await refused(
        '/orders',
        await proofFor('/orders', { iat }),
        'invalid_dpop_proof',
      )
      expect(description(response.headers['www-authenticate'])).toBe(
        'The DPoP proof is too old or issued in the future',
      )
    }
  })

  it('§4.3 (12): refuses a proof without ath, with the ath of another token, or of another key', async () => {
    await refused('/orders', await proofFor('/orders', { ath: undefined }), 'invalid_dpop_proof')
    const wrongAth = await refused(
      '/orders',
      await client.proof('GET', `${base}/orders`, unbound),
      'invalid_dpop_proof',
    )
    expect(description(wrongAth.headers['www-authenticate'])).toBe(
      'The DPoP proof does not match the access token',
    )
    const wrongKey = await refused(
      '/orders',
      await other.proof('GET', `${base}/orders`, bound),
      'invalid_dpop_proof',
    )
    expect(description(wrongKey.headers['www-authenticate'])).toBe(
      'The DPoP proof key is not the key the access token is bound to',
    )
  })

  it('§11.1: accepts each proof once (replayed jti refused)', async () => {
    const proof = await proofFor('/orders')
    expect((await call('/orders', proof)).status).toBe(200)
    const replay = await refused('/orders', proof, 'invalid_dpop_proof')
    expect(description(replay.headers['www-authenticate'])).toBe('The DPoP proof was already used')
  })

  it('§7.1: refuses an unbound token sent with the DPoP scheme', async () => {
    const response = await call(
      '/orders',
      await client.proof('GET', `${base}/orders`, unbound),
      unbound,
    )
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_token", error_description="The access token is not bound to a DPoP key", algs="${ALGS}", Bearer realm="api"`,
    )
  })

  it('§7.2: refuses a DPoP-bound token sent as Bearer, on DPoP and plain routes', async () => {
    const response = await send(`${base}/orders`, 'GET', { Authorization: `Bearer ${bound}` })
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_token", error_description="A DPoP-bound access token must be sent with the DPoP scheme", algs="${ALGS}", Bearer realm="api"`,
    )
    const plain = await send(`${base}/plain`, 'GET', { Authorization: `Bearer ${bound}` })
    expect(plain.status).toBe(401)
    expect(plain.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="A DPoP-bound access token must be sent with the DPoP scheme"',
    )
    // Where DPoP is off, the DPoP scheme is no credential at all.
    const off = await call('/plain', await proofFor('/plain'))
    expect(off.status).toBe(401)
    expect(off.headers['www-authenticate']).toBe('Bearer realm="api"')
  })

  it('accepts both schemes by default: an unbound Bearer token passes, both challenges offered', async () => {
    const response = await send(`${base}/orders`, 'GET', { Authorization: `Bearer ${unbound}` })
    expect(response.status).toBe(200)
    const none = await send(`${base}/orders`)
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toBe(
      `DPoP realm="api", algs="${ALGS}", Bearer realm="api"`,
    )
  })

  it('required: true refuses Bearer tokens and offers only the DPoP challenge', async () => {
    const response = await send(`${base}/required`, 'GET', { Authorization: `Bearer ${unbound}` })
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_token", error_description="A DPoP-bound access token is required", algs="${ALGS}"`,
    )
    expect((await call('/required', await proofFor('/required'))).status).toBe(200)
  })

  it('required for an issuer, and requireDpop() on a route, refuse Bearer tokens with 401', async () => {
    for (const path of ['/by-issuer', '/route']) {
      const response = await send(`${base}${path}`, 'GET', { Authorization: `Bearer ${unbound}` })
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_token' })
      expect(response.headers['www-authenticate']).toContain(
        'DPoP realm="api", error="invalid_token", error_description="A DPoP-bound access token is required"',
      )
      expect((await call(path, await proofFor(path))).status).toBe(200)
    }
  })

  it('§9: asks for a server nonce with use_dpop_nonce and DPoP-Nonce, then accepts it', async () => {
    const first = await refused('/nonce', await proofFor('/nonce'), 'use_dpop_nonce')
    const nonce = first.headers['dpop-nonce'] as string
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const wrong = await refused(
      '/nonce',
      await proofFor('/nonce', { nonce: 'stale' }),
      'use_dpop_nonce',
    )
    expect(wrong.headers['dpop-nonce']).toBe(nonce)
    expect((await call('/nonce', await proofFor('/nonce', { nonce }))).status).toBe(200)
  })
})
