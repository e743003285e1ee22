import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  createAuthenticator,
  InvalidTokenError,
  KeySetUnavailableError,
  type AuthenticateOptions,
  type AuthRequest,
} from 'oidc-guard'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import { rejection } from '../helpers/assertions.js'

let a: JwksServer
let b: JwksServer
let keyA: TestKey
let keyB: TestKey

beforeAll(async () => {
  ;[a, b] = await Promise.all([startJwksServer(), startJwksServer()])
  ;[keyA, keyB] = await Promise.all([createTestKey('RS256'), createTestKey('ES256')])
  a.keys = [keyA.publicJwk]
  b.keys = [keyB.publicJwk]
})
afterAll(async () => {
  await Promise.all([a.close(), b.close()])
})

const bearer = (token: string): AuthRequest => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}` },
})

function twoIssuers(extra: Partial<AuthenticateOptions> = {}) {
  return createAuthenticator({
    issuers: [
      { issuer: a.issuer, audience: 'api-a', jwksUri: a.jwksUri },
      { issuer: b.issuer, audience: 'api-b', jwksUri: b.jwksUri, claims: 'entra' },
    ],
    ...extra,
  } as AuthenticateOptions)
}

describe('issuers: many trusted issuers', () => {
  it('accepts each issuer with its own audience, keys and claim mapping', async () => {
    const auth = twoIssuers()
    const fromA = await auth.authenticate(
      bearer(await sign(keyA, claims({ iss: a.issuer, aud: 'api-a' }))),
    )
    expect(fromA?.issuer).toBe(a.issuer)
    const fromB = await auth.authenticate(
      bearer(
        await sign(
          keyB,
          claims({ iss: b.issuer, aud: 'api-b', scope: undefined, scp: 'x y', tid: 't1' }),
        ),
      ),
    )
    expect(fromB).toMatchObject({ issuer: b.issuer, scopes: ['x', 'y'], tenant: 't1' })
  })

  it('refuses a token of issuer A with the audience of issuer B', async () => {
    const error = await rejection(
      twoIssuers().authenticate(bearer(await sign(keyA, claims({ iss: a.issuer, aud: 'api-b' })))),
    )
    expect(error.message).toBe('The access token is not meant for this audience')
  })

  it("refuses a token claiming issuer A but signed with issuer B's key and kid", async () => {
    const forged = await sign(keyB, claims({ iss: a.issuer, aud: 'api-a' }))
    const error = await rejection(twoIssuers({ cooldownDuration: 0 }).authenticate(bearer(forged)))
    expect(error).toBeInstanceOf(InvalidTokenError)
    expect(error.message).toBe('No key of the issuer matches the access token')
  })

  it('refuses an unknown issuer before any network call', async () => {
    const before = a.jwksFetches() + b.jwksFetches()
    const auth = twoIssuers()
    for (const iss of [
      `${a.issuer}/`,
      'https://evil.example',
      a.issuer.toUpperCase(),
      `${a.issuer}.evil`,
    ]) {
      const error = await rejection(
        auth.authenticate(bearer(await sign(keyA, claims({ iss, aud: 'api-a' })))),
      )
      expect(error.message).toBe('The access token was issued by another issuer')
    }
    expect(a.jwksFetches() + b.jwksFetches()).toBe(before)
  })

  it('refuses a token without a readable iss with 401', async () => {
    const auth = twoIssuers()
    for (const token of ['abc', 'a.b.c', `x.${Buffer.from('{"iss":7}').toString('base64url')}.y`]) {
      expect(await rejection(auth.authenticate(bearer(token)))).toBeInstanceOf(InvalidTokenError)
    }
  })

  it("keeps serving one issuer while the other's JWKS is down", async () => {
    b.behaviour = { kind: 'status', status: 503 }
    try {
      const auth = twoIssuers()
      await expect(
        auth.authenticate(bearer(await sign(keyA, claims({ iss: a.issuer, aud: 'api-a' })))),
      ).resolves.toBeDefined()
      const error = await rejection(
        auth.authenticate(bearer(await sign(keyB, claims({ iss: b.issuer, aud: 'api-b' })))),
      )
      expect(error).toBeInstanceOf(KeySetUnavailableError)
      await expect(
        auth.authenticate(
          bearer(await sign(keyA, claims({ iss: a.issuer, aud: 'api-a', jti: 'again' }))),
        ),
      ).resolves.toBeDefined()
    } finally {
      b.behaviour = { kind: 'ok' }
    }
  })

  it('validates every issuer entry, naming its index', () => {
    expect(() =>
      createAuthenticator({ issuers: [{ issuer: 'x', audience: '' }] } as never),
    ).toThrow(/"issuers\.0\.issuer"[\s\S]*"issuers\.0\.audience"/)
    expect(() =>
      createAuthenticator({ issuers: [{ issuer: a.issuer, audience: 'x', scope: 'y' }] } as never),
    ).toThrow('"issuers.0.scope": unknown option')
    expect(() => createAuthenticator({ issuers: [], audience: 'x' } as never)).toThrow(
      /"issuers"[\s\S]*"audience": Set it on each entry/,
    )
    expect(() =>
      createAuthenticator({
        issuers: [
          { issuer: a.issuer, audience: 'x' },
          { issuer: a.issuer, audience: 'y' },
        ],
      }),
    ).toThrow('"issuers.1.issuer": Duplicate issuer')
  })
})

describe('issuer templates: multi-tenant issuers', () => {
  const template = () => `${a.url}/realms/{tenant}`
  const iss = (tenant: string) => `${a.url}/realms/${tenant}`

  it('accepts allowlisted tenants, each with its own key set, and maps the tenant', async () => {
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: `${a.url}/jwks?realm={tenant}`,
      tenants: ['acme', 'globex'],
      claims: 'keycloak',
    })
    const acme = await auth.authenticate(
      bearer(await sign(keyA, claims({ iss: iss('acme'), aud: 'api' }))),
    )
    expect(acme).toMatchObject({ issuer: iss('acme'), tenant: 'acme' })
    const before = a.jwksFetches()
    await auth.authenticate(bearer(await sign(keyA, claims({ iss: iss('globex'), aud: 'api' }))))
    expect(a.jwksFetches()).toBe(before + 1)
  })

  it('10,000 made-up tenants cost zero fetches beyond the allowlist', async () => {
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: a.jwksUri,
      tenants: ['acme'],
    })
    const before = a.jwksFetches() + a.hits.size
    const token = await sign(keyA, claims({ iss: iss('acme'), aud: 'api' }))
    const [header, , signature] = token.split('.')
    for (let i = 0; i < 10_000; i++) {
      const payload = Buffer.from(JSON.stringify({ iss: iss(`made-up-${i}`) })).toString(
        'base64url',
      )
      const error = await rejection(auth.authenticate(bearer(`${header}.${payload}.${signature}`)))
      expect(error.message).toBe('The access token was issued by another issuer')
    }
    expect(a.jwksFetches() + a.hits.size).toBe(before)
  })

  it('asks the resolver once per tenant, remembers unknown tenants, and applies overrides', async () => {
    const asked: string[] = []
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: a.jwksUri,
      resolveTenant: async (tenant) => {
        asked.push(tenant)
        if (tenant === 'acme') return true
        if (tenant === 'globex') return { audience: 'globex-api' }
        return false
      },
    })
    await Promise.all(
      Array.from({ length: 20 }, async () =>
        auth.authenticate(bearer(await sign(keyA, claims({ iss: iss('acme'), aud: 'api' })))),
      ),
    )
    await auth.authenticate(
      bearer(await sign(keyA, claims({ iss: iss('globex'), aud: 'globex-api' }))),
    )
    expect(
      (
        await rejection(
          auth.authenticate(bearer(await sign(keyA, claims({ iss: iss('globex'), aud: 'api' })))),
        )
      ).message,
    ).toBe('The access token is not meant for this audience')
    for (let i = 0; i < 50; i++) {
      const error = await rejection(
        auth.authenticate(
          bearer(await sign(keyA, claims({ iss: iss('nobody'), aud: 'api', jti: `j${i}` }))),
        ),
      )
      expect(error.message).toBe('The access token was issued by another issuer')
    }
    expect(asked.sort()).toEqual(['acme', 'globex', 'nobody'])
  })

  it('answers 503 when the resolver fails, and asks again next time', async () => {
    let calls = 0
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: a.jwksUri,
      resolveTenant: () => {
        calls += 1
        throw new Error('database down')
      },
    })
    const token = await sign(keyA, claims({ iss: iss('acme'), aud: 'api' }))
    expect(await rejection(auth.authenticate(bearer(token)))).toBeInstanceOf(KeySetUnavailableError)
    expect(await rejection(auth.authenticate(bearer(token)))).toBeInstanceOf(KeySetUnavailableError)
    expect(calls).toBe(2)
  })

  it('refuses tenant ids that could change the URL', async () => {
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      resolveTenant: () => true,
    })
    for (const tenant of ['../admin', 'a/b', 'a?b', 'a%2Fb', '']) {
      const error = await rejection(
        auth.authenticate(bearer(await sign(keyA, claims({ iss: iss(tenant), aud: 'api' })))),
      )
      expect(error.message).toBe('The access token was issued by another issuer')
    }
  })

  it('keeps at most maxTenants key sets, fetching again after eviction', async () => {
    // No cooldown: an evicted tenant may fetch again at once (see issue-9 for the cooldown).
    const auth = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: a.jwksUri,
      tenants: ['t1', 't2', 't3'],
      maxTenants: 2,
      tokenCacheSize: 0,
      cooldownDuration: 0,
    })
    const before = a.jwksFetches()
    for (const tenant of ['t1', 't2', 't3', 't1']) {
      await auth.authenticate(bearer(await sign(keyA, claims({ iss: iss(tenant), aud: 'api' }))))
    }
    expect(a.jwksFetches() - before).toBe(4)
  })

  it('rejects bad template configurations at startup', () => {
    expect(() => createAuthenticator({ issuer: template(), audience: 'api' })).toThrow(
      '"tenants": An issuer template needs',
    )
    expect(() =>
      createAuthenticator({ issuer: a.issuer, audience: 'api', tenants: ['x'] }),
    ).toThrow(ConfigurationError)
    expect(() =>
      createAuthenticator({
        issuer: `${a.url}/{tenant}/{tenant}`,
        audience: 'api',
        tenants: ['x'],
      }),
    ).toThrow('at most one {tenant}')
    expect(() =>
      createAuthenticator({ issuer: template(), audience: 'api', tenants: ['a/b'] }),
    ).toThrow('"tenants.0"')
    expect(() =>
      createAuthenticator({
        issuer: template(),
        audience: 'api',
        tenants: ['x'],
        secret: 's'.repeat(32),
      }),
    ).toThrow('"secret"')
  })
})

describe('cognito preset through verification', () => {
  it('matches the audience against client_id and refuses ID tokens', async () => {
    const auth = createAuthenticator({
      issuer: a.issuer,
      audience: '1example23456789',
      jwksUri: a.jwksUri,
      claims: 'cognito',
    })
    const access = claims({
      iss: a.issuer,
      aud: undefined,
      client_id: '1example23456789',
      token_use: 'access',
      'cognito:groups': ['admins'],
    })
    await expect(auth.authenticate(bearer(await sign(keyA, access)))).resolves.toMatchObject({
      roles: ['admins'],
    })
    const other = await rejection(
      auth.authenticate(bearer(await sign(keyA, { ...access, client_id: 'another-app' }))),
    )
    expect(other.message).toBe('The access token is not meant for this audience')
    const idToken = await rejection(
      auth.authenticate(bearer(await sign(keyA, { ...access, token_use: 'id', jti: 'x' }))),
    )
    expect(idToken.message).toBe('The token is not an access token')
  })
})
