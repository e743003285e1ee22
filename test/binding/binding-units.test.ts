import { generateKeyPairSync, KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  allOf,
  anyOf,
  createAuthenticator,
  createMemoryReplayStore,
  createResourceMetadata,
  jwkThumbprint,
  not,
  requireAcr,
  requireAuthTime,
  requireRole,
  requireScope,
  scopesOf,
  type AuthRequest,
} from 'oidc-guard'
import { presentationScheme } from '../../src/binding/binding.js'
import { createNonceSource } from '../../src/binding/dpop/nonce.js'
import { createProofKeyCache } from '../../src/binding/dpop/proof-key.js'
import { createRequestUrl, htuMatches } from '../../src/binding/dpop/request-url.js'
import { certificateDer, forwardedThumbprint } from '../../src/binding/mtls.js'
import { createPeerCheck } from '../../src/binding/peer.js'
import { createDpopClient } from '../helpers/dpop.js'
import { authContext } from '../helpers/context.js'
import { claims, createTestKey, sign } from '../helpers/keys.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { rawJws } from '../helpers/raw-jws.js'

const request = (overrides: Partial<AuthRequest> = {}): AuthRequest => ({
  method: 'GET',
  headers: { host: 'api.test' },
  originalUrl: '/orders?x=1',
  socket: { remoteAddress: '10.0.0.1' },
  ...overrides,
})

describe('presentation scheme (RFC 9449 §7.1)', () => {
  it('is DPoP for the DPoP scheme in any case when DPoP is configured, else Bearer', () => {
    const scheme = (authorization: string, dpop = true) =>
      presentationScheme(request({ headers: { authorization } }), dpop)
    expect(scheme('DPoP abc')).toBe('DPoP')
    expect(scheme('dpop abc')).toBe('DPoP')
    expect(scheme('DPOP abc')).toBe('DPoP')
    expect(scheme('DPoP abc', false)).toBe('Bearer')
    expect(scheme('Bearer abc')).toBe('Bearer')
    expect(scheme('DPoPx abc')).toBe('Bearer')
    expect(scheme('D\u0010oP abc')).toBe('Bearer')
    expect(scheme('DPoP ')).toBe('Bearer')
  })
})

describe('DPoP server nonces (RFC 9449 §9)', () => {
  it('rotates each interval, accepts the previous one only within the grace period', () => {
    let now = 1_000_000
    const a = createNonceSource('s'.repeat(32), 1000, 200, () => now)
    const b = createNonceSource('s'.repeat(32), 1000, 200, () => now)
    const first = a.current()
    expect(b.current()).toBe(first) // instances sharing the secret agree
    expect(a.accepts(first)).toBe(true)
    now += 1000
    const second = a.current()
    expect(second).not.toBe(first)
    expect(a.accepts(first)).toBe(true)
    now += 250
    expect(a.accepts(first)).toBe(false)
    expect(a.accepts(second)).toBe(true)
    expect(a.accepts(42)).toBe(false)
    now += 5000 // several windows later: the previous one is recomputed, not remembered
    expect(a.accepts(second)).toBe(false)
    expect(createNonceSource(undefined, 1000, 0).current()).not.toBe(first)
  })
})

describe('htu (RFC 9449 §4.3 check 9)', () => {
  it('builds the URL from the connection and Host, without the query', () => {
    const url = createRequestUrl(undefined, undefined)
    expect(url(request())).toBe('http://api.test/orders')
    expect(url(request({ socket: { encrypted: true } }))).toBe('https://api.test/orders')
    expect(url(request({ originalUrl: undefined, path: '/p' }))).toBe('http://api.test/p')
    expect(url(request({ originalUrl: 'orders' }))).toBeUndefined()
    expect(url(request({ headers: {} }))).toBeUndefined()
    expect(createRequestUrl('https://api.example.com', undefined)(request())).toBe(
      'https://api.example.com/orders',
    )
  })

  it('believes X-Forwarded-Proto/Host only from a trusted proxy', () => {
    const headers = {
      host: 'internal:8080',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'api.example.com',
    }
    const url = createRequestUrl(undefined, ['10.0.0.1'])
    expect(url(request({ headers }))).toBe('https://api.example.com/orders')
    expect(url(request({ headers, socket: { remoteAddress: '::ffff:10.0.0.1' } }))).toBe(
      'https://api.example.com/orders',
    )
    expect(url(request({ headers, socket: { remoteAddress: '10.0.0.2' } }))).toBe(
      'http://internal:8080/orders',
    )
    expect(url(request({ headers: { host: 'h', 'x-forwarded-proto': ' ,' } }))).toBe(
      'http://h/orders',
    )
    expect(createRequestUrl(undefined, undefined)(request({ headers }))).toBe(
      'http://internal:8080/orders',
    )
  })

  it('compares after syntax-based normalization, ignoring the proof query and fragment', () => {
    expect(htuMatches('HTTPS://API.test:443/a%2fb?q#f', 'https://api.test/a%2Fb')).toBe(true)
    expect(htuMatches('https://api.test/a', 'https://api.test/b')).toBe(false)
    expect(htuMatches('ftp://api.test/a', 'ftp://api.test/a/')).toBe(false)
    expect(htuMatches('not a url', 'https://api.test/a')).toBe(false)
    expect(htuMatches(42, 'https://api.test/a')).toBe(false)
  })
})

describe('proof keys (RFC 9449 §4.3 check 7, RFC 7638)', () => {
  it('computes RFC 7638 thumbprints for EC, OKP and RSA keys', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256']) {
      const { publicKey } = await generateKeyPair(alg)
      const jwk = await exportJWK(publicKey)
      expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'))
    }
  })

  it('refuses private, symmetric, weak, mismatched and invalid keys, and remembers them', () => {
    const cache = createProofKeyCache(10)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const publicJwk = ec.publicKey.export({ format: 'jwk' })
    expect(cache.get(publicJwk, 'ES256')?.thumbprint).toBe(jwkThumbprint(publicJwk))
    expect(cache.get(publicJwk, 'ES256')).toBe(cache.get(publicJwk, 'ES256'))
    expect(cache.get(ec.privateKey.export({ format: 'jwk' }), 'ES256')).toBeUndefined()
    expect(cache.get({ ...publicJwk, p: 'AQAB' }, 'ES256')).toBeUndefined()
    expect(cache.get({ kty: 'oct', k: 'c2VjcmV0' }, 'ES256')).toBeUndefined()
    expect(cache.get(publicJwk, 'RS256')).toBeUndefined()
    expect(cache.get('jwk', 'ES256')).toBeUndefined()
    expect(cache.get([publicJwk], 'ES256')).toBeUndefined()
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    expect(cache.get(weak.export({ format: 'jwk' }), 'RS256')).toBeUndefined()
    // A point that is not on the curve: node:crypto refuses to import it.
    expect(cache.get({ ...publicJwk, y: publicJwk.x }, 'ES256')).toBeUndefined()
    expect(cache.get({ ...publicJwk, y: publicJwk.x }, 'ES256')).toBeUndefined()
    expect(cache.size).toBeLessThanOrEqual(10)
  })
})

describe('certificate headers (RFC 8705 §3 behind a proxy)', () => {
  it('reads PEM, base64 and base64url DER, and refuses anything else', () => {
    const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01, 0xfb, 0xff])
    expect(certificateDer(der.toString('base64'))).toEqual(der)
    expect(certificateDer(der.toString('base64url'))).toEqual(der)
    expect(certificateDer('%E0%A4%A')).toBeUndefined()
    expect(certificateDer(Buffer.from([0x31, 0x00]).toString('base64'))).toBeUndefined()
    expect(certificateDer('@@@')).toBeUndefined()
    expect(forwardedThumbprint('By=x;Subject="CN=a"')).toBeUndefined()
    expect(forwardedThumbprint('Hash=zz;Cert="@@"')).toBeUndefined()
    expect(forwardedThumbprint('@@@')).toBeUndefined()
  })

  it('trusts listed peers only, IPv4-mapped addresses included', () => {
    const check = createPeerCheck(['::ffff:10.0.0.1', '::1'])
    expect(check(request())).toBe(true)
    expect(check(request({ socket: { remoteAddress: '::1' } }))).toBe(true)
    expect(check(request({ socket: {} }))).toBe(false)
    expect(check(request({ socket: undefined }))).toBe(false)
    expect(createPeerCheck([])(request())).toBe(false)
  })
})

describe('the memory replay store (RFC 9449 §11.1)', () => {
  it('answers true once per key within its TTL, and stays bounded', () => {
    const store = createMemoryReplayStore(2)
    expect(store.use('a', 60_000)).toBe(true)
    expect(store.use('a', 60_000)).toBe(false)
    store.use('b', 60_000)
    store.use('c', 60_000)
    expect(store.size).toBe(2)
  })
})

describe('step-up guards and scopes (RFC 9470, RFC 9728)', () => {
  it('checks their arguments at startup', () => {
    expect(() => requireAcr()).toThrow('requireAcr() needs at least one acr value')
    expect(() => requireAuthTime({ maxAge: -1 })).toThrow('requireAuthTime() needs { maxAge }')
    expect(() => requireAuthTime(undefined as never)).toThrow('requireAuthTime() needs { maxAge }')
  })

  it('combinators carry step-up and DPoP denials', () => {
    const auth = authContext({}, { acr: 'pwd', auth_time: 0 })
    const both = anyOf(
      requireAuthTime({ maxAge: 60 }),
      requireAuthTime({ maxAge: 30 }),
      requireAcr('mfa'),
    )
    expect(both.evaluate(auth, request()).stepUp).toEqual({ acrValues: ['mfa'], maxAge: 30 })
    expect(
      anyOf(requireRole('x'), requireAuthTime({ maxAge: 5 })).evaluate(auth, request()).stepUp,
    ).toEqual({
      maxAge: 5,
    })
    expect(
      anyOf(requireRole('x'), requireRole('y')).evaluate(auth, request()).stepUp,
    ).toBeUndefined()
    expect(
      allOf(requireScope('orders:read'), requireAcr('mfa')).evaluate(auth, request()).stepUp,
    ).toEqual({
      acrValues: ['mfa'],
    })
  })

  it('scopesOf() collects scopes through allOf/anyOf but not through not()', () => {
    expect(
      scopesOf(
        requireScope('a'),
        anyOf(requireScope('b', 'c'), requireRole('r')),
        not(requireScope('d')),
      ),
    ).toEqual(['a', 'b', 'c'])
  })

  it('createResourceMetadata() needs resourceMetadata and answers GET/HEAD of its path only', () => {
    const base = { issuer: 'https://idp.test', audience: 'api' }
    expect(() => createResourceMetadata(base)).toThrow('"resourceMetadata" option')
    const metadata = createResourceMetadata({
      ...base,
      resourceMetadata: { resource: 'https://api.test/v1/' },
      issuers: undefined,
    })
    expect(metadata.path).toBe('/.well-known/oauth-protected-resource/v1')
    expect(metadata.respond('POST', metadata.path)).toBeUndefined()
    expect(metadata.respond('HEAD', metadata.path)?.status).toBe(200)
    expect(metadata.respond('GET', '/other')).toBeUndefined()
    metadata.addGuards(requireScope('x'), [requireScope('x')], 'not a guard', null)
    expect(metadata.document().scopes_supported).toEqual(['x'])
    const fixed = createResourceMetadata({
      issuers: [{ issuer: 'https://{tenant}.idp.test', audience: 'api', tenants: ['a'] }],
      resourceMetadata: { resource: 'https://api.test', scopesSupported: ['s'] },
    })
    fixed.addGuards(requireScope('x'))
    expect(fixed.document()).toMatchObject({ scopes_supported: ['s'] })
    expect(fixed.document().authorization_servers).toBeUndefined()
  })
})

describe('binding options', () => {
  const base = { issuer: 'https://idp.test', audience: 'api' }
  it.each([
    [{ dpop: { nonce: { secret: 'short' } } }, '"dpop.nonce.secret": Expected at least 32 bytes'],
    [{ dpop: { origin: 'https://api.test/path' } }, '"dpop.origin": Expected an origin'],
    [{ dpop: { replayStore: {} } }, '"dpop.replayStore": Expected a DpopReplayStore'],
    [{ dpop: { algorithms: ['HS256'] } }, '"dpop.algorithms.0"'],
    [{ mtls: { certificateHeader: 'x-cert' } }, 'certificateHeader and trustedProxies go together'],
    [{ resourceMetadata: { resource: 'https://api.test/#x' } }, 'without query or fragment'],
  ])('refuses %j', (extra, message) => {
    expect(() => createAuthenticator({ ...base, ...extra } as never)).toThrow(message)
  })
})

describe('the binding step without adapters', () => {
  it('reads duplicated DPoP headers from headers when rawHeaders is absent, and refuses oversize proofs', async () => {
    const jwks = await startJwksServer()
    try {
      const key = await createTestKey('ES256')
      jwks.keys = [key.publicJwk]
      const client = await createDpopClient()
      const token = await sign(key, claims({ iss: jwks.issuer, cnf: { jkt: client.thumbprint } }))
      const auth = createAuthenticator({
        issuer: jwks.issuer,
        audience: 'orders-api',
        jwksUri: jwks.jwksUri,
        dpop: { nonce: true },
      })
      const proof = await client.proof('GET', 'http://api.test/orders', token)
      const headers = { host: 'api.test', authorization: `DPoP ${token}` }
      const run = (dpop: string | string[]) =>
        auth.authenticate(request({ headers: { ...headers, dpop } })).catch((error: Error) => error)
      for (const dpop of [[proof, proof], `${proof}, ${proof}`]) {
        expect(await run(dpop)).toMatchObject({ message: 'Only one DPoP header is allowed' })
      }
      const oversize = (await run('a'.repeat(9000))) as unknown as {
        message: string
        headers: Record<string, string>
      }
      expect(oversize.message).toBe('The DPoP proof is malformed')
      expect(oversize.headers['DPoP-Nonce']).toMatch(/^[\w-]{43}$/)
      const nonce = oversize.headers['DPoP-Nonce']
      const crit = rawJws(
        { privateKey: KeyObject.from(client.privateKey) },
        { typ: 'dpop+jwt', alg: 'ES256', jwk: client.publicJwk, crit: ['x'], x: 1 },
        { htm: 'GET', htu: 'http://api.test/orders', iat: Math.floor(Date.now() / 1000), jti: 'j' },
      )
      expect(await run(crit)).toMatchObject({ message: 'The DPoP proof is malformed' })
      const noJti = await client.proof('GET', 'http://api.test/orders', token, {
        nonce,
        jti: undefined,
      })
      expect(await run(noJti)).toMatchObject({ message: 'The DPoP proof has no valid jti' })
      const lower = await client.proof('get', 'http://api.test/orders', token, { nonce })
      expect(await run(lower)).toMatchObject({
        message: 'The DPoP proof is for another HTTP method',
      })
      const good = await client.proof('GET', 'http://api.test/orders', token, { nonce })
      expect(await run([good])).toMatchObject({ subject: 'user-1' })
      const cnfWrong = await sign(key, claims({ iss: jwks.issuer, cnf: 'x' }))
      expect(
        await auth
          .authenticate(
            request({ headers: { host: 'api.test', authorization: `Bearer ${cnfWrong}` } }),
          )
          .then((context) => context?.subject),
      ).toBe('user-1')
    } finally {
      await jwks.close()
    }
  })
})
