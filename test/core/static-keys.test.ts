import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto'
import {
  ConfigurationError,
  createAuthenticator,
  type AuthContext,
  type AuthenticateOptions,
} from 'oidc-guard'
import { beforeAll, describe, expect, it } from 'vitest'
import { DESCRIPTIONS } from '../../src/errors/reasons.js'
import { rejection } from '../helpers/assertions.js'
import { AUDIENCE, claims, createTestKey, ISSUER, sign, type TestKey } from '../helpers/keys.js'
import { rawRsaKey } from '../helpers/raw-jws.js'

const bearer = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } })

let rsa: TestKey
let ec: TestKey
let other: TestKey
beforeAll(async () => {
  ;[rsa, ec, other] = await Promise.all([
    createTestKey('RS256'),
    createTestKey('ES256'),
    createTestKey('RS256'),
  ])
})

// A fetch that fails the test if anything is fetched: configured keys never go to the network.
const noFetch = (() => {
  throw new Error('configured keys must not fetch')
}) as typeof fetch

function withKeys(keys: Partial<AuthenticateOptions>) {
  return createAuthenticator({
    issuer: ISSUER,
    audience: AUDIENCE,
    fetch: noFetch,
    ...keys,
  } as AuthenticateOptions)
}

async function refused(keys: Partial<AuthenticateOptions>, token: string): Promise<string> {
  const error = await rejection(withKeys(keys).authenticate(bearer(token)))
  expect((error as { status?: number }).status).toBe(401)
  return error.message
}

describe('jwks: a configured JSON Web Key Set', () => {
  it('verifies tokens by kid and algorithm without discovery or a JWKS fetch', async () => {
    const auth = withKeys({ jwks: { keys: [rsa.publicJwk, ec.publicJwk] } })
    const byRsa: AuthContext | undefined = await auth.authenticate(
      bearer(await sign(rsa, claims())),
    )
    const byEc = await auth.authenticate(bearer(await sign(ec, claims({ sub: 'ec-user' }))))
    expect(byRsa?.subject).toBe('user-1')
    expect(byEc?.subject).toBe('ec-user')
    expect(auth.stats().keys).toBe(2)
    auth.close()
    expect(auth.stats().keys).toBe(2)
  })

  it('refuses an unknown kid, a kid of another type, and a key of the wrong algorithm (401)', async () => {
    const jwks = { keys: [rsa.publicJwk, ec.publicJwk] }
    expect(await refused({ jwks }, await sign(other, claims()))).toBe(DESCRIPTIONS.noKey)
    expect(await refused({ jwks }, await sign(rsa, claims(), { header: { kid: 7 } }))).toBe(
      DESCRIPTIONS.noKey,
    )
    // An RS256 token naming the EC key's kid: the kid exists, but no key of it fits RS256.
    expect(await refused({ jwks }, await sign(rsa, claims(), { header: { kid: ec.kid } }))).toBe(
      DESCRIPTIONS.noKey,
    )
  })

  it('accepts a token without kid only when one configured key fits its algorithm', async () => {
    const token = await sign(rsa, claims(), { noKid: true })
    await expect(
      withKeys({ jwks: { keys: [rsa.publicJwk, ec.publicJwk] } }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
    // Two RSA keys: the token cannot make us try both.
    expect(await refused({ jwks: { keys: [other.publicJwk, rsa.publicJwk] } }, token)).toBe(
      DESCRIPTIONS.noKey,
    )
    expect(await refused({ jwks: { keys: [ec.publicJwk] } }, token)).toBe(DESCRIPTIONS.noKey)
  })

  it('holds each issuer to its own keys with several issuers', async () => {
    const auth = createAuthenticator({
      fetch: noFetch,
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [rsa.publicJwk] } },
        { issuer: 'https://second.test', audience: AUDIENCE, jwks: { keys: [ec.publicJwk] } },
      ],
    })
    await expect(
      auth.authenticate(bearer(await sign(ec, claims({ iss: 'https://second.test' })))),
    ).resolves.toBeDefined()
    await expect(
      auth.authenticate(
        bearer(await sign(ec, claims({ iss: ISSUER }), { header: { kid: ec.kid } })),
      ),
    ).rejects.toThrow(DESCRIPTIONS.noKey)
  })
})

describe('publicKey: one configured key', () => {
  it('takes SPKI PEM text and serves tokens whatever kid they name, or none', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const auth = withKeys({ publicKey: pem })
    await expect(auth.authenticate(bearer(await sign(rsa, claims())))).resolves.toBeDefined()
    await expect(
      auth.authenticate(bearer(await sign(rsa, claims(), { noKid: true }))),
    ).resolves.toBeDefined()
    expect(await refused({ publicKey: pem }, await sign(other, claims()))).toBe(
      DESCRIPTIONS.signature,
    )
  })

  it('takes a public KeyObject or a JWK; a JWK with its own kid is held to it', async () => {
    await expect(
      withKeys({ publicKey: ec.publicKey }).authenticate(bearer(await sign(ec, claims()))),
    ).resolves.toBeDefined()
    const { kid: _kid, ...anonymous } = ec.publicJwk
    await expect(
      withKeys({ publicKey: anonymous }).authenticate(bearer(await sign(ec, claims()))),
    ).resolves.toBeDefined()
    expect(
      await refused(
        { publicKey: ec.publicJwk },
        await sign(ec, claims(), { header: { kid: 'another' } }),
      ),
    ).toBe(DESCRIPTIONS.noKey)
  })

  it('sits beside jwks: the named keys by kid, the single key for the rest', async () => {
    const auth = withKeys({ jwks: { keys: [ec.publicJwk] }, publicKey: rsa.publicKey })
    await expect(auth.authenticate(bearer(await sign(ec, claims())))).resolves.toBeDefined()
    await expect(auth.authenticate(bearer(await sign(rsa, claims())))).resolves.toBeDefined()
  })
})

describe('configured keys are checked at startup', () => {
  const invalid = (keys: Record<string, unknown>) => () =>
    withKeys(keys as Partial<AuthenticateOptions>)

  it.each([
    [
      'a private JWK',
      () => ({ jwks: { keys: [rsa.privateKey.export({ format: 'jwk' })] } }),
      'jwks.keys.0',
    ],
    ['a symmetric JWK', () => ({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'jwks.keys.0'],
    [
      'a 1024-bit RSA key',
      () => ({ jwks: { keys: [rsa.publicJwk, rawRsaKey('weak', 1024).jwk] } }),
      'jwks.keys.1',
    ],
    ['an empty key set', () => ({ jwks: { keys: [] } }), 'jwks.keys'],
    ['a key set of another shape', () => ({ jwks: [rsa.publicJwk] }), 'jwks'],
    [
      'private PEM text',
      () => ({ publicKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) }),
      'publicKey',
    ],
    ['a private KeyObject', () => ({ publicKey: rsa.privateKey }), 'publicKey'],
    ['a secret KeyObject', () => ({ publicKey: createSecretKey(Buffer.alloc(32)) }), 'publicKey'],
    ['text that is no PEM', () => ({ publicKey: 'not a key' }), 'publicKey'],
    ['a number', () => ({ publicKey: 42 }), 'publicKey'],
    [
      'keys and a jwksUri',
      () => ({ jwks: { keys: [rsa.publicJwk] }, jwksUri: 'https://issuer.test/jwks' }),
      'jwksUri',
    ],
  ])('refuses %s, naming "%s"', (_case, keys, path) => {
    const error = (() => {
      try {
        invalid(keys())()
      } catch (caught) {
        return caught as Error
      }
      throw new Error('expected a ConfigurationError')
    })()
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toContain(`"${path}"`)
    // Never the key material in the message.
    expect(error.message).not.toMatch(/BEGIN|"d"|c2VjcmV0/)
  })

  it('refuses keys next to "issuers": they belong to one issuer', () => {
    expect(() =>
      createAuthenticator({
        jwks: { keys: [rsa.publicJwk] },
        issuers: [{ issuer: ISSUER, audience: AUDIENCE }],
      } as unknown as AuthenticateOptions),
    ).toThrow(/"jwks": Set it on each entry of "issuers"/)
  })

  it('a PEM private key is not taken for its public half even when node could derive it', () => {
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    expect(createPublicKey(createPrivateKey(pem)).type).toBe('public')
    expect(() => withKeys({ publicKey: pem })).toThrow(/not a private or secret one/)
  })
})
