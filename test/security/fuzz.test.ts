import fc from 'fast-check'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator, isOidcGuardError, type Authenticator } from 'oidc-guard'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { encodeSegment } from '../helpers/keys.js'
import { rawJws, rawRsaKey, type RawKey } from '../helpers/raw-jws.js'
import { buildApp, FRAMEWORK_NAMES, type RunningApp } from '../helpers/route-apps.js'

// Property-based tests: sizes keep the whole file within a few seconds per property.
const RUNS = 1000
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

let idp: JwksServer
let key: RawKey
let auth: Authenticator
let valid: string
let claims: Record<string, unknown>

beforeAll(async () => {
  idp = await startJwksServer()
  key = rawRsaKey('k')
  idp.keys = [key.jwk]
  auth = createAuthenticator({ issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri })
  const now = Math.floor(Date.now() / 1000)
  claims = {
    iss: idp.issuer,
    aud: 'api',
    sub: 'u',
    iat: now,
    exp: now + 3600,
    scope: 'orders:read',
  }
  valid = rawJws(key, { alg: 'RS256', kid: 'k', typ: 'at+jwt' }, claims)
  await expect(auth.authenticate(bearer(valid))).resolves.toBeDefined()
})
afterAll(() => idp.close())

function bearer(token: string) {
  return { method: 'GET', headers: { authorization: `Bearer ${token}` } }
}

/** Resolves to the error, failing the property on success or on a foreign exception. */
async function refusal(promise: Promise<unknown>): Promise<void> {
  try {
    await promise
  } catch (error) {
    if (!isOidcGuardError(error)) throw new Error(`not an oidc-guard error: ${String(error)}`)
    if (error.status !== 400 && error.status !== 401)
      throw new Error(`unexpected status ${error.status}`)
    return
  }
  throw new Error('a mutated token was accepted')
}

describe('mutations of a valid token never verify', () => {
  it('any changed character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 10_000 }), fc.nat({ max: 63 }), async (at, replacement) => {
        const index = at % valid.length
        if (valid[index] === '.') return
        const char =
          ALPHABET[replacement] === valid[index]
            ? ALPHABET[(replacement + 1) % 64]
            : ALPHABET[replacement]
        await refusal(
          auth.authenticate(bearer(`${valid.slice(0, index)}${char}${valid.slice(index + 1)}`)),
        )
      }),
      { numRuns: RUNS },
    )
  })

  it('any flipped bit in the decoded header, payload or signature', async () => {
    const parts = valid.split('.').map((part) => Buffer.from(part, 'base64url'))
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.nat({ max: 100_000 }),
        fc.nat({ max: 7 }),
        async (part, at, bit) => {
          const bytes = Buffer.from(parts[part] as Buffer)
          const offset = at % bytes.length
          bytes[offset] = (bytes[offset] as number) ^ (1 << bit)
          const mutated = parts
            .map((original, index) => (index === part ? bytes : original).toString('base64url'))
            .join('.')
          await refusal(auth.authenticate(bearer(mutated)))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('swapped, dropped or repeated segments', async () => {
    const parts = valid.split('.')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 6 }),
        async (order) => {
          const candidate = order.map((index) => parts[index]).join('.')
          if (candidate === valid) return
          await refusal(auth.authenticate(bearer(candidate)))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('re-encoded JSON and changed claims under the original signature', async () => {
    const [header, , signature] = valid.split('.') as [string, string, string]
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          space: fc.constantFrom(0, 1, 2, '\t'),
          claim: fc.constantFrom('scope', 'sub', 'aud', 'exp', 'roles', 'iss'),
          value: fc.jsonValue(),
        }),
        async ({ space, claim, value }) => {
          const changed = { ...claims, [claim]: value }
          const payload = encodeSegment(JSON.stringify(changed, null, space))
          if (`${header}.${payload}.${signature}` === valid) return
          await refusal(auth.authenticate(bearer(`${header}.${payload}.${signature}`)))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('any header and claims signed with the real key but not a valid access token for us', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.dictionary(fc.string(), fc.jsonValue()),
        async (extraHeader, payload) => {
          // Random claims never carry our issuer and audience together.
          const token = rawJws(key, { ...extraHeader, alg: 'RS256', kid: 'k' }, payload)
          await refusal(auth.authenticate(bearer(token)))
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('random input always ends in one of our own errors', () => {
  it('random Authorization values and header sets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic', ''),
          fc.string().map((s) => `Bearer ${s}`),
        ),
        fc.array(fc.string(), { maxLength: 6 }),
        async (authorization, rawHeaders) => {
          const request = {
            method: 'GET',
            headers: { authorization },
            rawHeaders: rawHeaders.length % 2 === 0 ? rawHeaders : undefined,
          }
          await refusal(auth.authenticate(request))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('random bytes as a token', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        await refusal(auth.authenticate(bearer(Buffer.from(bytes).toString('base64url'))))
        await refusal(auth.authenticate(bearer(Buffer.from(bytes).toString('latin1'))))
      }),
      { numRuns: RUNS },
    )
  })
})

describe.each(FRAMEWORK_NAMES)('random requests over HTTP on %s', (framework) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await buildApp(framework, [
      { path: '/orders', options: { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri } },
    ])
  })
  afterAll(() => app.close())

  it('answer 400 or 401, never 500, and the server keeps serving', async () => {
    // Visible ASCII and spaces: what an HTTP client can put in a header.
    const headerValue = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      maxLength: 300,
    })
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerValue,
          headerValue.map((s) => `Bearer ${s}`),
          fc.constant(`Bearer ${valid}x`),
        ),
        async (value) => {
          const response = await request(app.server).get('/orders').set('Authorization', value)
          expect([400, 401]).toContain(response.status)
          expect(response.body.error).toMatch(/^(invalid_request|invalid_token|unauthorized)$/)
        },
      ),
      { numRuns: 150 },
    )
    const ok = await request(app.server).get('/orders').set('Authorization', `Bearer ${valid}`)
    expect(ok.status).toBe(200)
  })
})
