import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  createAuthenticator,
  type AuthContext,
  type IntrospectionOptions,
  type SingleIssuerOptions,
} from 'oidc-guard'
import { createTestKey, sign, type TestKey } from '../helpers/keys.js'

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

let origin: string
let handler: Handler
let requests: { headers: IncomingMessage['headers']; body: URLSearchParams; path: string }[] = []
let key: TestKey
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString()
    if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [key.publicJwk] }))
      return
    }
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ issuer: origin, introspection_endpoint: `${origin}/introspect` }))
      return
    }
    requests.push({ headers: req.headers, body: new URLSearchParams(body), path: req.url ?? '' })
    handler(req, body, res)
  })
})

beforeAll(async () => {
  key = await createTestKey('ES256')
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

const now = () => Math.floor(Date.now() / 1000)
const active = (extra: Record<string, unknown> = {}) => ({
  active: true,
  iss: origin,
  aud: 'api',
  sub: 'user-1',
  client_id: 'app',
  scope: 'orders:read',
  exp: now() + 300,
  iat: now(),
  ...extra,
})
const json =
  (body: unknown, status = 200, type = 'application/json'): Handler =>
  (_req, _body, res) => {
    res.writeHead(status, { 'content-type': type })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }

function authenticator(
  introspection: Partial<IntrospectionOptions> = {},
  overrides: Partial<SingleIssuerOptions> = {},
) {
  requests = []
  return createAuthenticator({
    issuer: origin,
    audience: 'api',
    jwksUri: `${origin}/jwks`,
    introspection: {
      endpoint: `${origin}/introspect`,
      clientId: 'api',
      clientSecret: 's3cret value',
      ...introspection,
    },
    ...overrides,
  })
}
// A JWT of user-1 that verifies locally (for `tokens: 'all'`, the online check of JWTs).
const userJwt = () =>
  sign(key, { iss: origin, aud: 'api', sub: 'user-1', iat: now(), exp: now() + 300 })
const run = (target: ReturnType<typeof authenticator>, token = 'opaque-token-1') =>
  target.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } })

describe('RFC 7662 introspection', () => {
  it('sends the token with token_type_hint and Basic client credentials (RFC 6749 §2.3.1 encoding)', async () => {
    handler = json(active())
    const auth = (await run(authenticator())) as AuthContext
    expect(auth).toMatchObject({ subject: 'user-1', clientId: 'app', scopes: ['orders:read'] })
    const [sent] = requests
    expect(sent?.body.get('token')).toBe('opaque-token-1')
    expect(sent?.body.get('token_type_hint')).toBe('access_token')
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from('api:s3cret+value').toString('base64')}`,
    )
    expect(sent?.headers.accept).toBe('application/json')
  })

  it('discovers the endpoint, and can send no hint', async () => {
    handler = json(active())
    const auth = authenticator({ endpoint: undefined, tokenTypeHint: false })
    await run(auth)
    expect(requests[0]?.path).toBe('/introspect')
    expect(requests[0]?.body.has('token_type_hint')).toBe(false)
  })

  it.each([
    ['inactive', { active: false }, 'The access token is not active'],
    [
      'another issuer',
      active({ iss: 'https://evil' }),
      'The access token was issued by another issuer',
    ],
    [
      'another audience',
      active({ aud: ['x', 'y'] }),
      'The access token is not meant for this audience',
    ],
    ['no exp', active({ exp: undefined }), 'The access token lacks a required claim'],
    ['expired', active({ exp: now() - 60 }), 'The access token expired'],
    ['not yet valid', active({ nbf: now() + 60 }), 'The access token is not valid yet'],
    [
      'issued in the future',
      active({ iat: now() + 60 }),
      'The access token has an invalid issue time',
    ],
    ['sender-constrained (cnf)', active({ cnf: { jkt: 'x' } }), 'The token is not an access token'],
    [
      'another token type',
      active({ token_type: 'refresh_token' }),
      'The token is not an access token',
    ],
  ])('refuses an answer that is %s (401)', async (_name, answer, description) => {
    handler = json(answer)
    await expect(run(authenticator())).rejects.toMatchObject({ status: 401, message: description })
  })

  it.each([
    ['a 500', json({}, 500)],
    ['HTML', json('<html>', 200, 'text/html')],
    ['invalid JSON', json('{', 200)],
    ['a body without active', json({ scope: 'x' })],
    ['an oversized body', json({ active: true, pad: 'x'.repeat(2048) })],
    [
      'a redirect',
      (_req: IncomingMessage, _body: string, res: ServerResponse) =>
        void res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end(),
    ],
  ])('answers 503 when the endpoint answers %s', async (_name, answer) => {
    handler = answer
    await expect(run(authenticator({}, { maxResponseSize: 1024 }))).rejects.toMatchObject({
      status: 503,
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
    })
  })

  it('answers 503 when the endpoint does not answer in time', async () => {
    handler = () => {}
    await expect(run(authenticator({}, { timeoutDuration: 50 }))).rejects.toMatchObject({
      status: 503,
    })
  })

  it('answers 503 when discovery has no introspection_endpoint', async () => {
    handler = json(active())
    const auth = createAuthenticator({
      issuer: 'http://127.0.0.1:1/nowhere',
      audience: 'api',
      introspection: { clientId: 'api', clientSecret: 'x' },
      timeoutDuration: 200,
    })
    await expect(run(auth as never)).rejects.toMatchObject({ status: 503 })
  })

  it('remembers active answers no longer than cacheMaxAge and inactive ones for negativeCacheTtl', async () => {
    handler = json(active())
    const auth = authenticator({ cacheMaxAge: 30, negativeCacheTtl: 30 })
    await run(auth)
    await run(auth)
    expect(requests).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    handler = json({ active: false })
    await expect(run(auth)).rejects.toMatchObject({ status: 401 })
    await expect(run(auth)).rejects.toMatchObject({ status: 401 })
    expect(requests).toHaveLength(2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(run(auth)).rejects.toMatchObject({ status: 401 })
    expect(requests).toHaveLength(3)
    auth.close()
  })

  it('sends client_secret_post credentials and a private_key_jwt assertion', async () => {
    handler = json(active())
    await run(authenticator({ clientAuthMethod: 'client_secret_post' }))
    expect(requests[0]?.body.get('client_secret')).toBe('s3cret value')
    expect(requests[0]?.headers.authorization).toBeUndefined()
    const { exportJWK, generateKeyPair, decodeJwt } = await import('jose')
    const pair = await generateKeyPair('ES256', { extractable: true })
    const privateKey = { ...(await exportJWK(pair.privateKey)), alg: 'ES256', kid: 'k1' }
    await run(authenticator({ clientSecret: undefined, privateKey }))
    const assertion = requests[0]?.body.get('client_assertion') as string
    expect(requests[0]?.body.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    expect(decodeJwt(assertion)).toMatchObject({ iss: 'api', sub: 'api', aud: origin })
  })

  it('tokens: "all" also introspects verified JWTs (an online check), and refuses inactive ones', async () => {
    const jwt = await userJwt()
    handler = json(active())
    const auth = authenticator({ tokens: 'all' })
    await expect(run(auth, jwt)).resolves.toMatchObject({ subject: 'user-1' })
    expect(requests).toHaveLength(1)
    handler = json(active({ sub: 'someone-else' }))
    await expect(run(authenticator({ tokens: 'all' }), jwt)).rejects.toMatchObject({ status: 401 })
    handler = json({ active: false })
    await expect(run(authenticator({ tokens: 'all' }), jwt)).rejects.toMatchObject({ status: 401 })
    // Without it, JWTs are verified locally only.
    await run(authenticator(), jwt)
    expect(requests).toHaveLength(0)
  })

  it('tokens: "all" fails closed when the endpoint is down, or accepts the verified JWT with failOpen', async () => {
    const jwt = await userJwt()
    handler = json({ error: 'server_error' }, 500)
    await expect(run(authenticator({ tokens: 'all' }), jwt)).rejects.toMatchObject({
      status: 503,
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
    })
    const open = authenticator({ tokens: 'all', failOpen: true, negativeCacheTtl: 30 })
    await expect(run(open, jwt)).resolves.toMatchObject({ subject: 'user-1' })
    await expect(run(open, jwt)).resolves.toMatchObject({ subject: 'user-1' })
    expect(requests).toHaveLength(1)
    // Asked again once the short window has passed: a revocation is then seen.
    await new Promise((resolve) => setTimeout(resolve, 50))
    handler = json({ active: false })
    await expect(run(open, jwt)).rejects.toMatchObject({ status: 401 })
    expect(requests).toHaveLength(2)
    // An opaque token is never accepted unanswered, and failOpen needs tokens: "all".
    handler = json({ error: 'server_error' }, 500)
    await expect(run(open)).rejects.toMatchObject({ status: 503 })
    expect(() => authenticator({ failOpen: true })).toThrow(ConfigurationError)
    open.close()
  })

  it('remembers opaque tokens that share their ending apart (each introspected once)', async () => {
    const ending = 'x'.repeat(40)
    handler = (_req, body, res) => {
      const sub = new URLSearchParams(body).get('token')?.split('-')[0]
      json(active({ sub }))(_req, body, res)
    }
    const auth = authenticator()
    for (let round = 0; round < 3; round++) {
      await expect(run(auth, `alice-${ending}`)).resolves.toMatchObject({ subject: 'alice' })
      await expect(run(auth, `bob-${ending}`)).resolves.toMatchObject({ subject: 'bob' })
    }
    expect(requests).toHaveLength(2)
    expect(auth.stats().verifiedTokens).toBe(2)
  })

  it('works without the verified-token cache: every request is answered by the provider', async () => {
    handler = json(active())
    const uncached = authenticator({}, { tokenCacheSize: 0 })
    await expect(run(uncached)).resolves.toMatchObject({ subject: 'user-1' })
    await expect(run(uncached)).resolves.toMatchObject({ subject: 'user-1' })
    expect(requests).toHaveLength(2)
    const jwt = await userJwt()
    const online = authenticator({ tokens: 'all' }, { tokenCacheSize: 0 })
    await expect(run(online, jwt)).resolves.toMatchObject({ subject: 'user-1' })
    expect(requests).toHaveLength(1)
  })

  it('answers 503 for an answer over maxResponseSize, and never posts the token over plain HTTP to another host', async () => {
    handler = json(active())
    await expect(run(authenticator({}, { maxResponseSize: 16 }))).rejects.toMatchObject({
      status: 503,
    })
    let posted = 0
    const spy: typeof fetch = async () => {
      posted += 1
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    }
    const remote = authenticator(
      { endpoint: 'http://introspection.example/introspect' },
      { fetch: spy },
    )
    await expect(run(remote)).rejects.toMatchObject({ status: 503 })
    expect(posted).toBe(0)
  })

  it('RFC 9701: verifies a signed answer and refuses a forged or misaddressed one', async () => {
    const signed = async (claims: Record<string, unknown>, typ = 'token-introspection+jwt') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ })
        .sign(key.privateKey)
    const answer = async (claims: Record<string, unknown>, typ?: string) => {
      const body = await signed(claims, typ)
      handler = json(body, 200, 'application/token-introspection+jwt')
    }
    await answer({ iss: origin, aud: 'api', iat: now(), token_introspection: active() })
    await expect(run(authenticator({ jwtResponse: true }))).resolves.toMatchObject({
      subject: 'user-1',
    })
    expect(requests[0]?.headers.accept).toBe('application/token-introspection+jwt')
    for (const [claims, typ] of [
      [{ iss: origin, aud: 'other', iat: now(), token_introspection: active() }, undefined],
      [{ iss: 'https://evil', aud: 'api', iat: now(), token_introspection: active() }, undefined],
      [{ iss: origin, aud: 'api', iat: now(), token_introspection: active() }, 'JWT'],
    ] as const) {
      await answer(claims, typ)
      await expect(run(authenticator({ jwtResponse: true }))).rejects.toMatchObject({ status: 503 })
    }
    handler = json(active())
    await expect(run(authenticator({ jwtResponse: true }))).rejects.toMatchObject({ status: 503 })
    handler = json('not.a.jwt', 200, 'application/token-introspection+jwt')
    await expect(run(authenticator({ jwtResponse: true }))).rejects.toMatchObject({ status: 503 })
    const forged =
      (await signed({ iss: origin, aud: 'api', token_introspection: active() })).slice(0, -4) +
      'AAAA'
    handler = json(forged, 200, 'application/token-introspection+jwt')
    await expect(run(authenticator({ jwtResponse: true }))).rejects.toMatchObject({ status: 503 })
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'token-introspection+jwt' })
      .sign(new Uint8Array(32))
    handler = json(hs, 200, 'application/token-introspection+jwt')
    await expect(run(authenticator({ jwtResponse: true }))).rejects.toMatchObject({ status: 503 })
  })

  it('with several introspecting issuers, the first active answer wins; an outage beats a refusal', async () => {
    handler = (req, _body, res) => {
      const second = req.url === '/introspect-2'
      json(second ? active({ iss: `${origin}/2` }) : { active: false })(req, '', res)
    }
    const options = (endpoint: string, issuer: string) => ({
      issuer,
      audience: 'api',
      jwksUri: `${origin}/jwks`,
      introspection: { endpoint, clientId: 'api', clientSecret: 'x' },
    })
    const auth = createAuthenticator({
      issuers: [
        options(`${origin}/introspect`, origin),
        options(`${origin}/introspect-2`, `${origin}/2`),
      ],
    })
    await expect(run(auth as never)).resolves.toMatchObject({ issuer: `${origin}/2` })
    handler = (req, _body, res) => {
      if (req.url === '/introspect-2') json({}, 500)(req, '', res)
      else json({ active: false })(req, '', res)
    }
    await expect(run(auth as never, 'opaque-2')).rejects.toMatchObject({ status: 503 })
  })

  it('refuses bad introspection options at startup', () => {
    const base = { issuer: 'https://idp.example.com', audience: 'api' }
    expect(() => createAuthenticator({ ...base, introspection: { clientId: 'api' } })).toThrow(
      /clientSecret/,
    )
    expect(() =>
      createAuthenticator({
        ...base,
        introspection: { clientId: 'api', clientAuthMethod: 'private_key_jwt', clientSecret: 'x' },
      }),
    ).toThrow(/privateKey/)
    expect(() =>
      createAuthenticator({
        issuer: 'https://idp.example.com/{tenant}',
        tenants: ['a'],
        audience: 'api',
        introspection: { clientId: 'api', clientSecret: 'x' },
      }),
    ).toThrow(ConfigurationError)
    expect(() =>
      createAuthenticator({
        ...base,
        introspection: { clientId: 'api', clientSecret: 'x', endpoint: 'ftp://x' },
      }),
    ).toThrow(/http/)
  })

  it('without introspection, an opaque token stays malformed (401)', async () => {
    const auth = createAuthenticator({ issuer: origin, audience: 'api', tokenCacheSize: 0 })
    await expect(run(auth as never)).rejects.toMatchObject({
      status: 401,
      message: 'The access token is malformed',
    })
  })
})

describe('RFC 7662 introspection: fetch instrumentation', () => {
  it('reports each introspection call to startFetch: kind, endpoint, issuer, and how it ended', async () => {
    const seen: { kind: string; url: string; issuer: string | undefined; end?: unknown }[] = []
    const instrumentation = {
      startFetch(start: { kind: string; url: string; issuer: string | undefined }) {
        const entry: (typeof seen)[number] = { ...start }
        seen.push(entry)
        return (end: unknown) => {
          entry.end = end
        }
      },
    }
    handler = json(active())
    await run(authenticator({}, { instrumentation }))
    handler = json({ error: 'server_error' }, 500)
    await expect(run(authenticator({}, { instrumentation }), 'opaque-token-2')).rejects.toThrow(
      'The token introspection endpoint is temporarily unavailable',
    )
    const closed = authenticator({ endpoint: 'http://127.0.0.1:9/introspect' }, { instrumentation })
    await expect(run(closed, 'opaque-token-3')).rejects.toThrow()
    // The connection breaks in the middle of the answer: a network failure, not a stream error.
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"active":', () => res.socket?.destroy())
    }
    await expect(
      run(authenticator({}, { instrumentation }), 'opaque-token-4'),
    ).rejects.toMatchObject({
      status: 503,
      cause: {
        name: 'PostFailure',
        kind: 'network',
        message: 'connection lost while reading the body',
      },
    })
    expect(seen).toEqual([
      { kind: 'introspection', url: `${origin}/introspect`, issuer: origin, end: { status: 200 } },
      { kind: 'introspection', url: `${origin}/introspect`, issuer: origin, end: { status: 500 } },
      {
        kind: 'introspection',
        url: 'http://127.0.0.1:9/introspect',
        issuer: origin,
        end: { error: 'network' },
      },
      {
        kind: 'introspection',
        url: `${origin}/introspect`,
        issuer: origin,
        end: { error: 'network' },
      },
    ])
  })
})
