import { createAuthenticator, isOidcGuardError, type AuthenticateOptions } from 'oidc-guard'
import {
  createTestIssuer,
  createTestKey,
  type TestIssuer,
  type TestIssuerTransport,
  type TokenInput,
} from 'oidc-guard/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { DESCRIPTIONS } from '../../src/errors/reasons.js'
import { rejection } from '../helpers/assertions.js'

const bearer = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } })
const decode = (segment: string | undefined) =>
  JSON.parse(Buffer.from(segment ?? '', 'base64url').toString()) as Record<string, unknown>

const issuers: TestIssuer[] = []
async function testIssuer(...args: Parameters<typeof createTestIssuer>) {
  const issuer = await createTestIssuer(...args)
  issuers.push(issuer)
  return issuer
}
afterEach(async () => {
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()))
})

async function refusal(options: AuthenticateOptions, token: string) {
  const error = await rejection(createAuthenticator(options).authenticate(bearer(token)))
  expect(isOidcGuardError(error)).toBe(true)
  return error as Error & { status: number }
}

describe('createTestIssuer() transports', () => {
  it.each<TestIssuerTransport>(['fetch', 'loopback', 'static'])(
    "'%s': authenticate() trusts its tokens through issuer.options alone",
    async (transport) => {
      const issuer = await testIssuer({ transport, audience: 'orders-api' })
      const auth = createAuthenticator(issuer.options)
      const context = await auth.authenticate(
        bearer(issuer.token({ scope: ['orders:read', 'orders:write'], roles: ['admin'] })),
      )
      expect(context).toMatchObject({
        issuer: issuer.issuer,
        audience: ['orders-api'],
        subject: 'test-user',
        clientId: 'test-client',
        scopes: ['orders:read', 'orders:write'],
        roles: ['admin'],
      })
      expect(issuer.jwksFetches()).toBe(transport === 'static' ? 0 : 1)
    },
  )

  it("'fetch' answers discovery and the JWKS in memory, and 404 for anything else", async () => {
    const issuer = await testIssuer({ issuer: 'https://idp.example.test/realms/shop' })
    const { fetch: fetcher } = issuer.options
    const discovery = await fetcher!(`${issuer.issuer}/.well-known/openid-configuration`)
    expect(await discovery.json()).toEqual({
      issuer: 'https://idp.example.test/realms/shop',
      jwks_uri: 'https://idp.example.test/realms/shop/jwks',
    })
    const jwks = await fetcher!(new URL(`${issuer.issuer}/jwks`))
    expect(await jwks.json()).toEqual(issuer.jwks)
    expect((await fetcher!(new Request('https://idp.example.test/other'))).status).toBe(404)
  })

  it("'loopback' serves discovery and the JWKS over HTTP on 127.0.0.1 until closed", async () => {
    const issuer = await createTestIssuer({ transport: 'loopback' })
    expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const discovery = await fetch(`${issuer.issuer}/.well-known/openid-configuration`)
    expect(await discovery.json()).toEqual({
      issuer: issuer.issuer,
      jwks_uri: `${issuer.issuer}/jwks`,
    })
    await issuer.close()
    await expect(fetch(`${issuer.issuer}/jwks`)).rejects.toThrow()
  })

  it("'loopback' refuses a chosen issuer: its issuer is its URL", async () => {
    await expect(
      createTestIssuer({ transport: 'loopback', issuer: 'https://x.test' }),
    ).rejects.toThrow(/leave out "issuer"/)
  })

  it("'static' hands the public keys over as the jwks option, and nothing private", async () => {
    const issuer = await testIssuer({ transport: 'static' })
    expect(issuer.options).toEqual({
      issuer: 'https://issuer.test',
      audience: 'https://api.test',
      jwks: { keys: [issuer.signingKey.publicJwk] },
    })
    expect(JSON.stringify(issuer.options)).not.toMatch(/"d"|"p"|"q"/)
  })

  it.each(['ES256', 'ES512', 'PS256', 'EdDSA', 'Ed25519', 'RS512'] as const)(
    'signs with %s',
    async (algorithm) => {
      const issuer = await testIssuer({ algorithm })
      const token = issuer.token({ scope: 'a' })
      expect(decode(token.split('.')[0]).alg).toBe(algorithm)
      await expect(
        createAuthenticator(issuer.options).authenticate(bearer(token)),
      ).resolves.toMatchObject({
        scopes: ['a'],
      })
    },
  )
})

describe('createTestKey()', () => {
  it('refuses an algorithm it cannot make a key for, rather than guessing', async () => {
    await expect(createTestKey('HS256' as never)).rejects.toThrow('Unsupported algorithm: HS256')
  })
})

describe('issuer.token() (RFC 9068 §2)', () => {
  it('mints at+jwt with the kid, and iss, exp, aud, sub, client_id, iat, jti, scope', async () => {
    const issuer = await testIssuer({ audience: 'orders-api', expiresIn: 60 })
    const before = Math.floor(Date.now() / 1000)
    const [header, payload] = issuer.token({ scope: 'orders:read' }).split('.')
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: issuer.signingKey.kid })
    const claims = decode(payload)
    expect(claims).toMatchObject({
      iss: 'https://issuer.test',
      aud: 'orders-api',
      sub: 'test-user',
      client_id: 'test-client',
      scope: 'orders:read',
    })
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'].sort(),
    )
    expect(claims.iat).toBeGreaterThanOrEqual(before)
    expect(claims.exp).toBe((claims.iat as number) + 60)
    expect(decode(issuer.token().split('.')[1]).jti).not.toBe(claims.jti)
  })

  it('passes the strict profile (typ at+jwt; sub, iat, jti, client_id present)', async () => {
    const issuer = await testIssuer()
    const auth = createAuthenticator({ ...issuer.options, profile: 'strict' })
    await expect(auth.authenticate(bearer(issuer.token()))).resolves.toBeDefined()
  })

  it('takes extra claims, removes those set to undefined, and overrides the header', async () => {
    const issuer = await testIssuer()
    const token = issuer.token(
      { tenant: 'acme', sub: undefined, scope: undefined },
      { header: { typ: 'JWT' }, expiresIn: 10 },
    )
    const [header, payload] = token.split('.')
    expect(decode(header).typ).toBe('JWT')
    const claims = decode(payload)
    expect(claims.tenant).toBe('acme')
    expect(claims).not.toHaveProperty('sub')
    expect(claims).not.toHaveProperty('scope')
    expect(claims.exp).toBe((claims.iat as number) + 10)
  })

  it.each([
    ['expired', DESCRIPTIONS.expired],
    ['notYetValid', DESCRIPTIONS.nbf],
    ['wrongAudience', DESCRIPTIONS.aud],
    ['wrongIssuer', DESCRIPTIONS.iss],
    ['badSignature', DESCRIPTIONS.signature],
  ] as const)('token.%s() is refused with 401 "%s"', async (variant, description) => {
    const issuer = await testIssuer()
    const error = await refusal(issuer.options, issuer.token[variant]({ scope: 'orders:read' }))
    expect(error.status).toBe(401)
    expect(error.message).toBe(description)
  })
})

describe('provider-shaped tokens, read by the matching claims preset', () => {
  const input: TokenInput = { scope: 'orders:read orders:write', roles: ['admin'] }
  it.each([
    [
      'keycloak',
      { scopes: ['orders:read', 'orders:write'], roles: ['admin'], clientId: 'test-client' },
    ],
    [
      'entra',
      {
        scopes: ['orders:read', 'orders:write'],
        roles: ['admin'],
        clientId: 'test-client',
        tenant: '00000000-0000-0000-0000-000000000001',
      },
    ],
    [
      'auth0',
      {
        scopes: ['orders:read', 'orders:write'],
        roles: ['admin'],
        permissions: ['orders:read', 'orders:write'],
        subject: 'auth0|test-user',
      },
    ],
    [
      'okta',
      { scopes: ['orders:read', 'orders:write'], roles: ['admin'], clientId: 'test-client' },
    ],
    [
      'cognito',
      {
        scopes: ['orders:read', 'orders:write'],
        roles: ['admin'],
        groups: ['admin'],
        clientId: 'https://api.test',
      },
    ],
  ] as const)('token.%s()', async (provider, expected) => {
    const issuer = await testIssuer()
    const token = issuer.token[provider](input)
    const auth = createAuthenticator({ ...issuer.options, claims: provider })
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject(expected)
  })

  it('token.cognito() carries no aud, token_use access, and the app client as client_id', async () => {
    const issuer = await testIssuer({ audience: 'app-client-id' })
    const claims = decode(issuer.token.cognito().split('.')[1])
    expect(claims).not.toHaveProperty('aud')
    expect(claims).toMatchObject({ token_use: 'access', client_id: 'app-client-id' })
    const wrong = issuer.token.cognito({ token_use: 'id' })
    const error = await refusal({ ...issuer.options, claims: 'cognito' }, wrong)
    expect(error.message).toBe(DESCRIPTIONS.kind)
  })

  it('token.entra() without scopes is an application token: roles, no scp', async () => {
    const issuer = await testIssuer()
    const claims = decode(issuer.token.entra({ roles: ['Orders.Read.All'] }).split('.')[1])
    expect(claims).not.toHaveProperty('scp')
    expect(claims).toMatchObject({ roles: ['Orders.Read.All'], ver: '2.0' })
  })

  it('leaves out what was not granted: no scope, no roles claims', async () => {
    const issuer = await testIssuer({ algorithm: 'ES256' })
    const claimsOf = (token: string) => decode(token.split('.')[1])
    for (const provider of ['entra', 'auth0', 'okta', 'cognito'] as const) {
      const claims = claimsOf(issuer.token[provider]())
      for (const name of ['scope', 'scp', 'roles', 'cognito:groups']) {
        expect(claims, `${provider} ${name}`).not.toHaveProperty(name)
      }
    }
    expect(claimsOf(issuer.token.auth0()).permissions).toEqual([])
    expect(claimsOf(issuer.token.keycloak()).realm_access).toEqual({ roles: [] })
  })

  it('token.okta() grants scp as a list; token.keycloak() sends typ JWT', async () => {
    const issuer = await testIssuer()
    expect(decode(issuer.token.okta({ scope: ['a', 'b'] }).split('.')[1]).scp).toEqual(['a', 'b'])
    expect(decode(issuer.token.keycloak().split('.')[0]).typ).toBe('JWT')
  })
})

describe('issuer.rotateKeys()', () => {
  it.each<TestIssuerTransport>(['fetch', 'loopback'])(
    "'%s': a running authenticator accepts the new key at once, and the previous one stays published",
    async (transport) => {
      const issuer = await testIssuer({ transport })
      const auth = createAuthenticator(issuer.options)
      const before = issuer.token()
      await auth.authenticate(bearer(before))
      const previous = issuer.signingKey
      const next = await issuer.rotateKeys()
      expect(next.kid).not.toBe(previous.kid)
      expect(issuer.signingKey).toBe(next)
      const after = issuer.token()
      expect(decode(after.split('.')[0]).kid).toBe(next.kid)
      await expect(auth.authenticate(bearer(after))).resolves.toBeDefined()
      await expect(auth.authenticate(bearer(before))).resolves.toBeDefined()
      expect(issuer.jwks.keys.map((key) => key.kid)).toEqual([next.kid, previous.kid])
      expect(issuer.jwksFetches()).toBe(2)
    },
  )

  it('keepPrevious: false unpublishes the old key; a fresh authenticator refuses its tokens', async () => {
    const issuer = await testIssuer()
    const old = issuer.token()
    await issuer.rotateKeys({ keepPrevious: false })
    expect(issuer.jwks.keys).toEqual([issuer.signingKey.publicJwk])
    const error = await refusal(issuer.options, old)
    expect(error.message).toBe(DESCRIPTIONS.noKey)
  })

  it("'static': options read after the rotation carry the new key", async () => {
    const issuer = await testIssuer({ transport: 'static' })
    const stale = createAuthenticator(issuer.options)
    await issuer.rotateKeys()
    const token = issuer.token()
    await expect(stale.authenticate(bearer(token))).rejects.toThrow(DESCRIPTIONS.noKey)
    await expect(
      createAuthenticator(issuer.options).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })
})
