import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  authenticatorForGuard,
  createAuthenticator,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  MissingTokenError,
  requireRole,
  requireScope,
  type SingleIssuerOptions,
  type Authenticated,
  type AuthContext,
  type AuthRequest,
  type DecisionEvent,
} from 'oidc-guard'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import {
  AUDIENCE,
  claims,
  createTestKey,
  encodeSegment,
  sign,
  signHmac,
  signRaw,
  type TestKey,
} from '../helpers/keys.js'
import { rejection } from '../helpers/assertions.js'

let server: JwksServer
let rsa: TestKey
let ec: TestKey
let ed: TestKey
let ps: TestKey

beforeAll(async () => {
  server = await startJwksServer()
  ;[rsa, ec, ed, ps] = await Promise.all([
    createTestKey('RS256'),
    createTestKey('ES256'),
    createTestKey('EdDSA'),
    createTestKey('PS256'),
  ])
  server.keys = [rsa.publicJwk, ec.publicJwk, ed.publicJwk, ps.publicJwk]
})
afterAll(() => server.close())
afterEach(() => {
  vi.useRealTimers()
  server.keys = [rsa.publicJwk, ec.publicJwk, ed.publicJwk, ps.publicJwk]
})

function authenticator(options: Partial<SingleIssuerOptions> = {}) {
  return createAuthenticator({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    ...options,
  })
}

function bearer(token: string): AuthRequest {
  return { method: 'GET', path: '/orders', headers: { authorization: `Bearer ${token}` } }
}

function own(payload: Record<string, unknown> = {}) {
  return claims({ iss: server.issuer, ...payload })
}

async function invalid(auth: ReturnType<typeof authenticator>, token: string, message?: string) {
  const error = await rejection(auth.authenticate(bearer(token)))
  expect(error).toBeInstanceOf(InvalidTokenError)
  if (message) expect(error.message).toBe(message)
  return error
}

describe('authenticate() verifies a token and builds its AuthContext', () => {
  it.each(['rsa', 'ec', 'ed', 'ps'])('accepts a valid %s token', async (name) => {
    const key = { rsa, ec, ed, ps }[name] as TestKey
    const token = await sign(key, own())
    const auth = await authenticator().authenticate(bearer(token))
    expect(auth).toMatchObject({
      token,
      subject: 'user-1',
      issuer: server.issuer,
      audience: [AUDIENCE],
      clientId: 'client-1',
      scopes: ['orders:read'],
    })
  })

  it('parses scopes from scope, scp string or scp list, and roles from a configured path', async () => {
    const auth = authenticator({ rolesClaim: 'realm_access.roles' })
    const a = await auth.authenticate(
      bearer(await sign(rsa, own({ scope: 'a  b', realm_access: { roles: ['admin'] } }))),
    )
    expect(a?.scopes).toEqual(['a', 'b'])
    expect(a?.roles).toEqual(['admin'])
    const b = await auth.authenticate(
      bearer(await sign(rsa, own({ scope: undefined, scp: 'c d' }))),
    )
    expect(b?.scopes).toEqual(['c', 'd'])
    const c = await auth.authenticate(
      bearer(await sign(rsa, own({ scope: undefined, scp: ['e', 1] }))),
    )
    expect(c?.scopes).toEqual(['e'])
    expect(c?.roles).toEqual([])
    const d = await auth.authenticate(
      bearer(
        await sign(rsa, own({ scope: 7, client_id: undefined, azp: 'spa', aud: [AUDIENCE, 'x'] })),
      ),
    )
    expect(d).toMatchObject({ scopes: [], clientId: 'spa', audience: [AUDIENCE, 'x'] })
  })

  it('accepts one of several configured audiences', async () => {
    const token = await sign(rsa, own({ aud: 'other-api' }))
    await expect(
      authenticator({ audience: [AUDIENCE, 'other-api'] }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })

  it('accepts HS256 with a configured secret', async () => {
    const secret = 's'.repeat(32)
    const token = await signHmac(secret, own())
    await expect(authenticator({ secret }).authenticate(bearer(token))).resolves.toBeDefined()
  })
})

describe('RFC 8725 / RFC 9068: authenticate() refuses', () => {
  it('a request without a token (401 without error code)', async () => {
    const error = await rejection(authenticator().authenticate({ method: 'GET', headers: {} }))
    expect(error).toBeInstanceOf(MissingTokenError)
  })

  it('two Authorization headers (400)', async () => {
    const error = await rejection(
      authenticator().authenticate({
        method: 'GET',
        headers: { authorization: 'Bearer a' },
        rawHeaders: ['authorization', 'Bearer a', 'Authorization', 'Bearer b'],
      }),
    )
    expect(error).toBeInstanceOf(InvalidRequestError)
  })

  it('an expired token, a not-yet-valid token and wrong iss/aud', async () => {
    const auth = authenticator()
    const now = Math.floor(Date.now() / 1000)
    await invalid(auth, await sign(rsa, own({ exp: now - 10 })), 'The access token expired')
    await invalid(
      auth,
      await sign(rsa, own({ nbf: now + 60 })),
      'The access token is not valid yet',
    )
    await invalid(
      auth,
      await sign(rsa, own({ iss: `${server.issuer}/` })),
      'The access token was issued by another issuer',
    )
    await invalid(
      auth,
      await sign(rsa, own({ aud: 'ORDERS-API' })),
      'The access token is not meant for this audience',
    )
    await invalid(
      auth,
      await sign(rsa, own({ aud: 'orders-api-2' })),
      'The access token is not meant for this audience',
    )
  })

  it('honours clockTolerance', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await sign(rsa, own({ exp: now - 3 }))
    await expect(
      authenticator({ clockTolerance: 10 }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
    await invalid(authenticator({ clockTolerance: 0 }), token, 'The access token expired')
  })

  it('a token without exp, or with exp/iat of the wrong type', async () => {
    const auth = authenticator({ maxTokenAge: 60 })
    await invalid(
      auth,
      await sign(rsa, own({ exp: undefined })),
      'The access token lacks a required claim',
    )
    await invalid(
      auth,
      await sign(rsa, own({ exp: String(Math.floor(Date.now() / 1000) + 60) })),
      'The access token has an invalid expiry',
    )
    await invalid(
      auth,
      await sign(rsa, own({ iat: 'yesterday' })),
      'The access token has an invalid issue time',
    )
  })

  it('a token older than maxTokenAge', async () => {
    const token = await sign(rsa, own({ iat: Math.floor(Date.now() / 1000) - 600 }))
    await invalid(authenticator({ maxTokenAge: 60 }), token, 'The access token is too old')
  })

  it('registered claims of the wrong type', async () => {
    await invalid(
      authenticator(),
      await sign(rsa, own({ sub: 42 })),
      'The access token has an invalid sub claim',
    )
    await invalid(
      authenticator(),
      await sign(rsa, own({ client_id: ['x'] })),
      'The access token has an invalid client_id claim',
    )
  })

  it('alg none in every spelling', async () => {
    const payload = encodeSegment(own())
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await invalid(authenticator(), `${encodeSegment({ alg, typ: 'at+jwt' })}.${payload}.`)
    }
  })

  it('HS256 signed with the RSA public key as the secret', async () => {
    const { createPublicKey } = await import('node:crypto')
    const pem = createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    const token = await signHmac(pem as string, own(), { kid: rsa.kid })
    await invalid(authenticator(), token, 'The access token algorithm is not accepted')
  })

  it('an algorithm outside the allowlist', async () => {
    await invalid(
      authenticator({ algorithms: ['RS256'] }),
      await sign(ec, own()),
      'The access token algorithm is not accepted',
    )
  })

  it('a bad signature and a key the JWKS does not hold', async () => {
    const token = await sign(rsa, own())
    const [header, payload] = token.split('.')
    const forged = await sign(rsa, own({ scope: 'orders:admin' }))
    await invalid(
      authenticator(),
      `${header}.${payload}.${forged.split('.')[2]}`,
      'The access token signature is invalid',
    )
    const stranger = await createTestKey('RS256', rsa.kid)
    await invalid(
      authenticator(),
      await sign(stranger, own()),
      'The access token signature is invalid',
    )
  })

  it('embedded jwk, jku, x5u and x5c headers: the key is never taken from the token', async () => {
    const attacker = await createTestKey('RS256', 'attacker')
    const before = server.hits.get('/attacker-jwks') ?? 0
    const token = await sign(attacker, own(), {
      header: {
        jwk: attacker.publicJwk,
        jku: `${server.url}/attacker-jwks`,
        x5u: `${server.url}/attacker-jwks`,
        x5c: ['AAAA'],
      },
    })
    await invalid(
      authenticator({ cooldownDuration: 0 }),
      token,
      'No key of the issuer matches the access token',
    )
    expect(server.hits.get('/attacker-jwks') ?? 0).toBe(before)
  })

  it('unknown crit, unencoded payloads and JWE', async () => {
    const head = { alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' }
    const payload = encodeSegment(own())
    // The control: the raw signer produces tokens we accept.
    await expect(
      authenticator().authenticate(bearer(await signRaw(rsa, head, payload))),
    ).resolves.toBeDefined()
    await invalid(
      authenticator(),
      await signRaw(rsa, { ...head, crit: ['exp'], exp: 1 }, payload),
      'The access token is malformed',
    )
    await invalid(
      authenticator(),
      await signRaw(rsa, { ...head, crit: 'b64' }, payload),
      'The access token is malformed',
    )
    await invalid(
      authenticator(),
      await signRaw(rsa, { ...head, crit: ['b64'], b64: false }, payload),
      'The access token is malformed',
    )
    await invalid(
      authenticator(),
      'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d',
      'The access token is malformed',
    )
    await invalid(authenticator(), 'not-a-jwt', 'The access token is malformed')
    await invalid(
      authenticator(),
      `${encodeSegment('{"alg":"RS256",')}.${encodeSegment(own())}.sig`,
      'The access token is malformed',
    )
  })

  it('typ values of other JWT kinds; strict profile requires at+jwt', async () => {
    const auth = authenticator()
    await expect(
      auth.authenticate(bearer(await sign(rsa, own(), { header: { typ: 'JWT' } }))),
    ).resolves.toBeDefined()
    await expect(
      auth.authenticate(bearer(await sign(rsa, own(), { header: { typ: 'application/at+jwt' } }))),
    ).resolves.toBeDefined()
    await expect(
      auth.authenticate(bearer(await sign(rsa, own(), { header: { typ: undefined } }))),
    ).resolves.toBeDefined()
    for (const typ of ['dpop+jwt', 'logout+jwt', 'secevent+jwt', 7]) {
      await invalid(
        auth,
        await sign(rsa, own(), { header: { typ } }),
        'The access token type is not accepted',
      )
    }
    const strict = authenticator({ profile: 'strict' })
    await expect(strict.authenticate(bearer(await sign(rsa, own())))).resolves.toBeDefined()
    await invalid(
      strict,
      await sign(rsa, own(), { header: { typ: 'JWT' } }),
      'The access token type is not accepted',
    )
    await invalid(
      strict,
      await sign(rsa, own(), { header: { typ: undefined } }),
      'The access token type is not accepted',
    )
    await invalid(
      strict,
      await sign(rsa, own({ jti: undefined })),
      'The access token lacks a required claim',
    )
  })
})

describe('verified-token cache', () => {
  it('returns the remembered context for a repeated token', async () => {
    const auth = authenticator()
    const token = await sign(rsa, own())
    const first = await auth.authenticate(bearer(token))
    expect(await auth.authenticate(bearer(token))).toBe(first)
    const uncached = authenticator({ tokenCacheSize: 0 })
    expect(await uncached.authenticate(bearer(token))).not.toBe(
      await uncached.authenticate(bearer(token)),
    )
  })

  it('honours a hit only for the exact token verified, not one that shares its ending', async () => {
    const auth = authenticator()
    const token = await sign(rsa, own({ sub: 'alice' }))
    const first = await auth.authenticate(bearer(token))
    // Same signature (and so the same cache key), another payload: must be verified, and fail.
    const [header, , signature] = token.split('.')
    const forged = `${header}.${encodeSegment(own({ sub: 'mallory' }))}.${signature}`
    await invalid(auth, forged, 'The access token signature is invalid')
    // One character changed early in the token: same key, not the same token.
    const flipped = `${token[0] === 'e' ? 'f' : 'e'}${token.slice(1)}`
    await expect(auth.authenticate(bearer(flipped))).rejects.toBeInstanceOf(InvalidTokenError)
    // The remembered entry is untouched by the failures.
    expect(await auth.authenticate(bearer(token))).toBe(first)
    expect(auth.stats().verifiedTokens).toBe(1)
  })

  it('never serves a token past its exp', async () => {
    const auth = authenticator()
    const token = await sign(rsa, own({ exp: Math.floor(Date.now() / 1000) + 60 }))
    await auth.authenticate(bearer(token))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 120_000)
    await invalid(auth, token, 'The access token expired')
  })

  it('forgets tokens once the issuer stops publishing their key', async () => {
    const auth = authenticator({ cooldownDuration: 0 })
    const token = await sign(rsa, own())
    await auth.authenticate(bearer(token))
    const next = await createTestKey('RS256')
    server.keys = [next.publicJwk]
    const before = server.jwksFetches()
    await auth.authenticate(bearer(await sign(next, own())))
    // Still accepted until MISSES_BEFORE_REMOVAL fetches missed the key (confirmed on a timer).
    await vi.waitFor(() => expect(server.jwksFetches()).toBeGreaterThanOrEqual(before + 3))
    await invalid(auth, token, 'No key of the issuer matches the access token')
  })

  it('close() drops keys and tokens', async () => {
    const auth = authenticator()
    const token = await sign(rsa, own())
    const first = await auth.authenticate(bearer(token))
    const fetches = server.jwksFetches()
    auth.close()
    expect(await auth.authenticate(bearer(token))).not.toBe(first)
    expect(server.jwksFetches()).toBe(fetches + 1)
  })
})

describe('authorize()', () => {
  it('answers 401 for a guarded request without an AuthContext', () => {
    expect(() =>
      authenticator().authorize(requireScope('a'), undefined, { method: 'GET', headers: {} }),
    ).toThrow(MissingTokenError)
  })

  it('freezes nested claims: an edit while serving one request cannot reach the next', async () => {
    const auth = authenticator()
    const token = await sign(rsa, own({ org: { tier: 'free', teams: [{ id: 't1' }] } }))
    const first = (await auth.authenticate(bearer(token))) as AuthContext
    const org = first.claims.org as { tier: string; teams: { id: string }[] }
    expect(() => {
      org.tier = 'enterprise'
    }).toThrow(TypeError)
    expect(() => org.teams.push({ id: 't2' })).toThrow(TypeError)
    expect(() => {
      ;(org.teams[0] as { id: string }).id = 't9'
    }).toThrow(TypeError)
    const hit = auth.resolve(bearer(token)) as AuthContext
    expect(hit).toBe(first)
    expect(hit.claims.org).toEqual({ tier: 'free', teams: [{ id: 't1' }] })
  })

  it('parses an empty scope string as no scopes', async () => {
    const auth = await authenticator().authenticate(bearer(await sign(rsa, own({ scope: '' }))))
    expect(auth?.scopes).toEqual([])
  })
})

describe('authenticatorForGuard()', () => {
  it('answers with the recorded authenticator only for the very context it gave the request', async () => {
    const auth = authenticator()
    const guard = requireScope('a')
    const token = await sign(rsa, own())
    const context = (await auth.authenticate(bearer(token))) as AuthContext
    expect(authenticatorForGuard(guard, { authenticator: auth, auth: context }, context, 'x')).toBe(
      auth,
    )
    expect(
      authenticatorForGuard(guard, { authenticator: auth, auth: undefined }, undefined, 'x'),
    ).toBe(auth)
    const refused = (recorded: Authenticated | undefined, given: AuthContext | undefined) =>
      (authenticatorForGuard(guard, recorded, given, 'authenticate()') as Error).message
    expect(refused(undefined, context)).toBe('requireScope(a) runs only after authenticate()')
    const replaced =
      "requireScope(a): the request's AuthContext is not the one authenticate() gave it " +
      '(replaced or edited by other code; add data with the permissions option)'
    // An equal copy, a context put on a request let through without one, or one removed.
    expect(refused({ authenticator: auth, auth: context }, Object.freeze({ ...context }))).toBe(
      replaced,
    )
    expect(refused({ authenticator: auth, auth: undefined }, context)).toBe(replaced)
    expect(refused({ authenticator: auth, auth: context }, undefined)).toBe(replaced)
  })
})

describe('credentialsRequired: false', () => {
  it('resolves undefined without a token but still refuses a bad one', async () => {
    const auth = authenticator({ credentialsRequired: false })
    await expect(auth.authenticate({ method: 'GET', headers: {} })).resolves.toBeUndefined()
    await invalid(auth, 'garbage')
  })
})

describe('onDecision', () => {
  it('reports allowed and denied authentication and guard decisions', async () => {
    const events: DecisionEvent[] = []
    const auth = authenticator({ onDecision: (event) => events.push(event) })
    const request = bearer(await sign(rsa, own({ roles: ['editor'] })))
    const context = await auth.authenticate(request)
    auth.authorize(requireRole('editor'), context, request)
    expect(() => auth.authorize(requireScope('orders:write'), context, request)).toThrow(
      InsufficientScopeError,
    )
    await rejection(auth.authenticate(bearer('garbage')))
    expect(() => auth.authorize(requireScope('a'), undefined, request)).toThrow(MissingTokenError)
    expect(
      events.map(({ durationMs, timestamp, ...rest }) => {
        expect(durationMs).toBeGreaterThanOrEqual(0)
        expect(timestamp).toBeGreaterThan(0)
        return rest
      }),
    ).toEqual([
      {
        type: 'authenticate',
        allowed: true,
        reason: 'token verified',
        subject: 'user-1',
        issuer: server.issuer,
        clientId: 'client-1',
        method: 'GET',
        path: '/orders',
      },
      {
        type: 'authorize',
        allowed: true,
        guard: 'requireRole(editor)',
        reason: 'token has every required role',
        code: undefined,
        status: undefined,
        missing: undefined,
        subject: 'user-1',
        issuer: server.issuer,
        clientId: 'client-1',
        method: 'GET',
        path: '/orders',
      },
      {
        type: 'authorize',
        allowed: false,
        guard: 'requireScope(orders:write)',
        reason: 'token lacks scope orders:write',
        code: 'ERR_BEARER_INSUFFICIENT_SCOPE',
        status: 403,
        missing: ['orders:write'],
        subject: 'user-1',
        issuer: server.issuer,
        clientId: 'client-1',
        method: 'GET',
        path: '/orders',
      },
      {
        type: 'authenticate',
        allowed: false,
        reason: 'The access token is malformed',
        code: 'ERR_BEARER_INVALID_TOKEN',
        status: 401,
        method: 'GET',
        path: '/orders',
      },
      {
        type: 'authenticate',
        allowed: false,
        reason: 'Authentication required',
        code: 'ERR_BEARER_MISSING_TOKEN',
        status: 401,
        method: 'GET',
        path: '/orders',
      },
    ])
  })

  it('reports a failure that happens after the key fetch (signature checked off the main thread)', async () => {
    const events: DecisionEvent[] = []
    const auth = authenticator({ onDecision: (event) => events.push(event) })
    const token = await sign(rsa, own())
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${(await sign(rsa, own({ sub: 'x' }))).split('.')[2]}`
    await rejection(auth.authenticate(bearer(forged)))
    expect(events).toMatchObject([
      {
        type: 'authenticate',
        allowed: false,
        reason: 'The access token signature is invalid',
        status: 401,
      },
    ])
  })

  it('a throwing onDecision does not change the answer', async () => {
    const auth = authenticator({
      onDecision: () => {
        throw new Error('logger down')
      },
    })
    await expect(auth.authenticate(bearer(await sign(rsa, own())))).resolves.toBeDefined()
  })
})
