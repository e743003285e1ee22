import { createServer } from 'node:http'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ConfigurationError,
  createAuthenticator,
  InvalidTokenError,
  KeySetUnavailableError,
  MissingTokenError,
  requireClaim,
  requireClaimMatches,
  type AuthenticateOptions,
  type AuthRequest,
  type DecisionEvent,
} from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import Koa from 'koa'
import { createClaimRules } from '../../src/claims/claim-mapping.js'
import { rejection } from '../helpers/assertions.js'
import { authContext } from '../helpers/context.js'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'

/*
 * Regressions of the security review in issue 9: each test failed on the code before its fix.
 */

let idp: JwksServer
let key: TestKey
let other: TestKey

beforeAll(async () => {
  idp = await startJwksServer()
  ;[key, other] = await Promise.all([createTestKey('RS256'), createTestKey('RS256')])
  idp.keys = [key.publicJwk]
})
afterAll(async () => {
  await idp.close()
})
afterEach(() => {
  vi.useRealTimers()
  idp.keys = [key.publicJwk]
  idp.behaviour = { kind: 'ok' }
})

const bearer = (token: string, extra: Partial<AuthRequest> = {}): AuthRequest => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}` },
  ...extra,
})
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const template = () => `${idp.url}/tenants/{tenant}`
const tenantIss = (tenant: string) => `${idp.url}/tenants/${tenant}`

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!'
const HS_ISSUER = 'https://issuer.test'
const hsOptions: AuthenticateOptions = { issuer: HS_ISSUER, audience: 'api', secret: SECRET }
async function hsToken(extra: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: HS_ISSUER, aud: 'api', sub: 'u', iat: now, exp: now + 300, ...extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .sign(new TextEncoder().encode(SECRET))
}

describe('issue-9 #1: the tenant of a templated issuer is the one its iss and keys proved', () => {
  const auth = () =>
    createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      tenants: ['acme', 'globex'],
    })

  it('issue-9 #1 refuses a token of tenant acme whose tenant or tid claim says globex', async () => {
    const authenticator = auth()
    for (const claim of ['tenant', 'tid']) {
      const token = await sign(
        key,
        claims({ iss: tenantIss('acme'), aud: 'api', [claim]: 'globex' }),
      )
      const error = await rejection(authenticator.authenticate(bearer(token)))
      expect(error).toBeInstanceOf(InvalidTokenError)
      expect(error.message).toBe('The access token names another tenant than its issuer')
    }
  })

  it('issue-9 #1 keeps the issuer tenant when the claim agrees or is absent', async () => {
    const authenticator = auth()
    const agreeing = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api', tid: 'acme' }))
    const silent = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api' }))
    expect((await authenticator.authenticate(bearer(agreeing)))?.tenant).toBe('acme')
    expect((await authenticator.authenticate(bearer(silent)))?.tenant).toBe('acme')
  })
})

describe('issue-9 #2: Fastify config.auth is never skipped, whatever the registration order', () => {
  const requirement = { auth: { role: 'admin' } }
  const reply = async () => ({ ok: true })
  const orders: Record<string, (app: FastifyInstance) => Promise<string>> = {
    'route before register': async (app) => {
      app.get('/r', { config: requirement }, reply)
      await app.register(onFastify.authenticate, hsOptions)
      return '/r'
    },
    'register not awaited, then route': async (app) => {
      void app.register(onFastify.authenticate, hsOptions)
      app.get('/r', { config: requirement }, reply)
      return '/r'
    },
    'route in a plugin registered earlier': async (app) => {
      void app.register(async (child) => {
        child.get('/r', { config: requirement }, reply)
      })
      void app.register(onFastify.authenticate, hsOptions)
      return '/r'
    },
    'await register, then route': async (app) => {
      await app.register(onFastify.authenticate, hsOptions)
      app.get('/r', { config: requirement }, reply)
      return '/r'
    },
    'nested encapsulated plugins with prefixes and fastify.route(), before register': async (
      app,
    ) => {
      void app.register(
        async (child) => {
          await child.register(
            async (grandchild) => {
              grandchild.route({ method: 'GET', url: '/r', config: requirement, handler: reply })
            },
            { prefix: '/inner' },
          )
        },
        { prefix: '/v1' },
      )
      void app.register(onFastify.authenticate, hsOptions)
      return '/v1/inner/r'
    },
    'fastify.route() in a plugin registered after': async (app) => {
      void app.register(onFastify.authenticate, hsOptions)
      void app.register(
        async (child) => {
          child.route({ method: 'GET', url: '/r', config: requirement, handler: reply })
        },
        { prefix: '/p' },
      )
      return '/p/r'
    },
  }

  it.each(Object.keys(orders))(
    'issue-9 #2 %s: 401 without a token, 403 without the role, 200 with it',
    async (order) => {
      const app = Fastify()
      const path = await orders[order]!(app)
      await app.ready()
      try {
        expect((await app.inject({ url: path })).statusCode).toBe(401)
        const user = await hsToken({ roles: ['user'] })
        const admin = await hsToken({ roles: ['admin'] })
        const headers = (token: string) => ({ authorization: `Bearer ${token}` })
        expect((await app.inject({ url: path, headers: headers(user) })).statusCode).toBe(403)
        const allowed = await app.inject({ url: path, headers: headers(admin) })
        expect(allowed.statusCode).toBe(200)
      } finally {
        await app.close()
      }
    },
  )

  it('issue-9 #2 a bad requirement on a route declared after the plugin fails startup', async () => {
    const app = Fastify()
    await app.register(onFastify.authenticate, hsOptions)
    expect(() => app.get('/r', { config: { auth: { scope: [] } as never } }, reply)).toThrow(
      ConfigurationError,
    )
    await app.close()
  })

  it('issue-9 #2 a bad requirement on a route declared before the plugin fails closed', async () => {
    const app = Fastify()
    app.get('/r', { config: { auth: { scope: [] } as never } }, reply)
    await app.register(onFastify.authenticate, hsOptions)
    await app.ready()
    const response = await app.inject({
      url: '/r',
      headers: { authorization: `Bearer ${await hsToken()}` },
    })
    expect(response.statusCode).toBe(500)
    await app.close()
  })
})

describe('issue-9 #3: only an explicit yes from resolveTenant accepts a tenant', () => {
  const answers: unknown[] = [
    0,
    '',
    Number.NaN,
    'false',
    'true',
    1,
    {},
    [],
    { exists: 1 },
    { audience: 5 },
  ]

  it.each(
    answers.map((answer) => [
      typeof answer === 'number' ? String(answer) : JSON.stringify(answer),
      answer,
    ]),
  )('issue-9 #3 refuses the answer %s', async (_shown, answer) => {
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      resolveTenant: () => answer as boolean,
    })
    const token = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api' }))
    const error = await rejection(authenticator.authenticate(bearer(token)))
    expect(error.message).toBe('The access token was issued by another issuer')
  })

  it('issue-9 #3 accepts true and an object of overrides', async () => {
    for (const answer of [true, { audience: 'api' }]) {
      const authenticator = createAuthenticator({
        issuer: template(),
        audience: 'other',
        jwksUri: idp.jwksUri,
        resolveTenant: () => answer,
      })
      const token = await sign(
        key,
        claims({ iss: tenantIss('acme'), aud: answer === true ? 'other' : 'api' }),
      )
      expect((await authenticator.authenticate(bearer(token)))?.tenant).toBe('acme')
    }
  })
})

describe('issue-9 #4: evicting a tenant keeps its refetch cooldown', () => {
  // Forged tokens: a kid the key sets do not hold, so each one asks for a refetch.
  const forged = async (tenant: string) =>
    sign(other, claims({ iss: tenantIss(tenant), aud: 'api' }), { header: { kid: 'forged' } })

  it('issue-9 #4 three tenants, maxTenants 2: 60 forged requests cost at most two fetches per tenant (first load, one refetch)', async () => {
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      tenants: ['t1', 't2', 't3'],
      maxTenants: 2,
    })
    const tokens = await Promise.all(['t1', 't2', 't3'].map(forged))
    const before = idp.jwksFetches()
    for (let i = 0; i < 60; i++) {
      const error = await rejection(authenticator.authenticate(bearer(tokens[i % 3]!)))
      expect([401, 503]).toContain((error as InvalidTokenError).status)
    }
    // Before the fix: 60. Now each tenant's first load and one unknown-kid refetch, eviction or not.
    expect(idp.jwksFetches() - before).toBeLessThanOrEqual(6)
  })

  it('issue-9 #4 101 allowlisted tenants with the default bound: at most 202 fetches for 303 requests', async () => {
    const tenants = Array.from({ length: 101 }, (_, i) => `t${i}`)
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      tenants,
    })
    const tokens = await Promise.all(tenants.map(forged))
    const before = idp.jwksFetches()
    // Three rounds, each round's 101 requests at once (a first sighting of an unknown kid may
    // wait up to a second for the refetch that corroborates it).
    for (let round = 0; round < 3; round++) {
      await Promise.all(tokens.map((token) => rejection(authenticator.authenticate(bearer(token)))))
    }
    expect(idp.jwksFetches() - before).toBeLessThanOrEqual(202)
  }, 60_000)
})

describe('issue-9 #5: the verified-token cache honours every limit and compares key material', () => {
  it('issue-9 #5 re-checks maxTokenAge on a cache hit', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start)
    const authenticator = createAuthenticator({
      issuer: idp.issuer,
      audience: 'api',
      jwksUri: idp.jwksUri,
      maxTokenAge: 1,
      clockTolerance: 0,
    })
    const token = await sign(key, claims({ iss: idp.issuer, aud: 'api', iat: start / 1000 }))
    await authenticator.authenticate(bearer(token))
    vi.setSystemTime(start + 2500)
    const error = await rejection(authenticator.authenticate(bearer(token)))
    expect(error.message).toBe('The access token is too old')
  })

  it('issue-9 #5 forgets tokens whose key was replaced under the same kid', async () => {
    const original = await createTestKey('RS256', 'same-kid')
    const replacement = await createTestKey('RS256', 'same-kid')
    idp.keys = [original.publicJwk]
    const authenticator = createAuthenticator({
      issuer: idp.issuer,
      audience: 'api',
      jwksUri: idp.jwksUri,
      cooldownDuration: 0,
    })
    const token = await sign(original, claims({ iss: idp.issuer, aud: 'api' }))
    await authenticator.authenticate(bearer(token))
    idp.keys = [replacement.publicJwk]
    // Any unknown kid makes the key set refresh; the refresh sees the key material changed.
    const unknown = await sign(other, claims({ iss: idp.issuer, aud: 'api' }), {
      header: { kid: 'unknown' },
    })
    await rejection(authenticator.authenticate(bearer(unknown)))
    const error = await rejection(authenticator.authenticate(bearer(token)))
    expect(error.message).toBe('The access token signature is invalid')
  })
})

describe('issue-9 #6: a tenant id is never a dot segment', () => {
  it('issue-9 #6 refuses tenants . and .. without fetching outside the template', async () => {
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: `${idp.url}/tenants/{tenant}/jwks`,
      resolveTenant: () => true,
    })
    const before = idp.jwksFetches()
    for (const tenant of ['.', '..']) {
      const token = await sign(key, claims({ iss: tenantIss(tenant), aud: 'api' }))
      const error = await rejection(authenticator.authenticate(bearer(token)))
      expect(error.message).toBe('The access token was issued by another issuer')
    }
    expect(idp.jwksFetches()).toBe(before)
  })

  it('issue-9 #6 refuses . and .. in the tenants allowlist at startup', () => {
    expect(() =>
      createAuthenticator({ issuer: template(), audience: 'api', tenants: ['..'] }),
    ).toThrow(ConfigurationError)
  })
})

describe('issue-9 #7: a throwing claims mapping denies with a defined error', () => {
  const throwing: AuthenticateOptions = {
    ...hsOptions,
    claims: {
      roles: () => {
        throw new Error('mapping bug')
      },
    },
  }

  it('issue-9 #7 authenticate() refuses with 401 and reports the reason', async () => {
    const events: DecisionEvent[] = []
    const authenticator = createAuthenticator({ ...throwing, onDecision: (e) => events.push(e) })
    const error = await rejection(authenticator.authenticate(bearer(await hsToken())))
    expect(error).toBeInstanceOf(InvalidTokenError)
    expect(events.at(-1)).toMatchObject({
      allowed: false,
      status: 401,
      reason: 'The access token claims could not be mapped',
    })
  })

  it('issue-9 #7 Express answers 401 JSON, never a 500 with a stack trace', async () => {
    const app = express()
    app.get('/r', onExpress.authenticate(throwing), (_req, res) => void res.json({ ok: true }))
    const response = await request(createServer(app))
      .get('/r')
      .set('Authorization', `Bearer ${await hsToken()}`)
    expect(response.status).toBe(401)
    expect(response.text).not.toMatch(/mapping bug|at /)
  })
})

describe('issue-9 #8: resolveTenant is bounded in time and its yes expires', () => {
  it('issue-9 #8 a resolver that never answers is a 503 within timeoutDuration', async () => {
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      timeoutDuration: 100,
      resolveTenant: () => new Promise<boolean>(() => {}),
    })
    const token = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api' }))
    const outcome = await Promise.race([
      authenticator.authenticate(bearer(token)).then(
        () => 'allowed',
        (error: unknown) => error,
      ),
      sleep(1000).then(() => 'still pending'),
    ])
    expect(outcome).toBeInstanceOf(KeySetUnavailableError)
  })

  it('issue-9 #8 an offboarded tenant stops working after resolvedTenantTtl, cached token included', async () => {
    let exists = true
    const authenticator = createAuthenticator({
      issuer: template(),
      audience: 'api',
      jwksUri: idp.jwksUri,
      resolvedTenantTtl: 50,
      resolveTenant: () => exists,
    })
    const token = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api' }))
    expect((await authenticator.authenticate(bearer(token)))?.tenant).toBe('acme')
    exists = false
    await sleep(80)
    const error = await rejection(authenticator.authenticate(bearer(token)))
    expect(error.message).toBe('The access token was issued by another issuer')
  })
})

describe('issue-9 #9: requireClaimMatches never compares a rounded number', () => {
  it('issue-9 #9 an integer beyond 2^53 does not match its rounded neighbour', () => {
    const guard = requireClaimMatches('uid', { param: 'id' })
    // 9007199254740993 in the token's JSON parses as 9007199254740992.
    const auth = authContext({}, JSON.parse('{"uid":9007199254740993}'))
    const decision = guard.evaluate(auth, {
      method: 'GET',
      headers: {},
      params: { id: '9007199254740992' },
    })
    expect(decision.allowed).toBe(false)
    const safe = authContext({}, { uid: 42 })
    expect(guard.evaluate(safe, { method: 'GET', headers: {}, params: { id: '42' } }).allowed).toBe(
      true,
    )
  })
})

describe('issue-9 #10: a flat claim spelt like a path never stands in for the nested one', () => {
  const token = { realm_access: { roles: ['user'] }, 'realm_access.roles': ['admin'] }

  it('issue-9 #10 the keycloak preset reads the nested path only', () => {
    expect(createClaimRules('keycloak').map(token).roles).toEqual(['user'])
  })

  it('issue-9 #10 a configured dotted name that matches both readings reads as absent', () => {
    expect(createClaimRules('generic', 'realm_access.roles').map(token).roles).toEqual([])
    const guard = requireClaim('realm_access.roles', (roles) => Array.isArray(roles))
    expect(guard.evaluate(authContext({}, token), { method: 'GET', headers: {} }).allowed).toBe(
      false,
    )
    // Either reading alone still works.
    expect(
      createClaimRules('generic', 'realm_access.roles').map({ realm_access: { roles: ['r'] } })
        .roles,
    ).toEqual(['r'])
    expect(
      createClaimRules('generic', 'https://example.com/roles').map({
        'https://example.com/roles': ['n'],
      }).roles,
    ).toEqual(['n'])
  })
})

describe('issue-9 decide: hostname, parsed headers, per-issuer eviction, ID tokens, https, GET bodies', () => {
  it('issue-9 decide host: { host: "subdomain" } reads the hostname the framework trusts', async () => {
    const app = express()
    app.set('trust proxy', true)
    app.get(
      '/r',
      onExpress.authenticate(hsOptions),
      onExpress.requireTenant({ host: 'subdomain' }),
      (_req, res) => void res.json({ ok: true }),
    )
    const token = await hsToken({ tenant: 'acme' })
    const response = await request(createServer(app))
      .get('/r')
      .set('Host', 'globex.internal')
      .set('X-Forwarded-Host', 'acme.api.example.com')
      .set('Authorization', `Bearer ${token}`)
    expect(response.status).toBe(200)
  })

  it('issue-9 decide host: Koa and Fastify read their own proxy-aware hostname too', async () => {
    const token = await hsToken({ tenant: 'acme' })
    const koa = new Koa()
    koa.proxy = true
    koa.use(onKoa.authenticate(hsOptions))
    koa.use(onKoa.requireTenant({ host: 'subdomain' }))
    koa.use((ctx) => {
      ctx.body = { ok: true }
    })
    const fastify = Fastify({ trustProxy: true })
    await fastify.register(onFastify.authenticate, hsOptions)
    fastify.get('/r', { config: { auth: { tenant: { host: 'subdomain' } } } }, async () => ({}))
    await fastify.ready()
    try {
      for (const server of [createServer(koa.callback()), fastify.server]) {
        const response = await request(server)
          .get('/r')
          .set('Host', 'globex.internal')
          .set('X-Forwarded-Host', 'acme.api.example.com')
          .set('Authorization', `Bearer ${token}`)
        expect(response.status).toBe(200)
      }
    } finally {
      await fastify.close()
    }
  })

  it('issue-9 decide rawHeaders: a middleware that removed the Authorization header is followed', async () => {
    const app = express()
    app.use((req, _res, next) => {
      delete req.headers.authorization
      next()
    })
    app.get('/r', onExpress.authenticate(hsOptions), (_req, res) => void res.json({ ok: true }))
    const response = await request(createServer(app))
      .get('/r')
      .set('Authorization', `Bearer ${await hsToken()}`)
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api"')
  })

  it('issue-9 decide eviction: a key removal at one issuer keeps other issuers remembered', async () => {
    const b = await startJwksServer()
    try {
      const keyB = await createTestKey('RS256')
      b.keys = [keyB.publicJwk]
      const authenticator = createAuthenticator({
        issuers: [
          { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
          { issuer: b.issuer, audience: 'api', jwksUri: b.jwksUri },
        ],
        cooldownDuration: 0,
      })
      const tokenA = await sign(key, claims({ iss: idp.issuer, aud: 'api' }))
      const tokenB = await sign(keyB, claims({ iss: b.issuer, aud: 'api' }))
      await authenticator.authenticate(bearer(tokenA))
      await authenticator.authenticate(bearer(tokenB))
      // Issuer b rotates: its old key disappears.
      b.keys = [(await createTestKey('RS256')).publicJwk]
      const unknown = await sign(other, claims({ iss: b.issuer, aud: 'api' }), {
        header: { kid: 'unknown' },
      })
      await rejection(authenticator.authenticate(bearer(unknown)))
      // b's old key is refused once consecutive fetches confirm it gone (MISSES_BEFORE_REMOVAL).
      await vi.waitFor(
        () => expect(authenticator.authenticate(bearer(tokenB))).rejects.toThrow(InvalidTokenError),
        { timeout: 10_000, interval: 250 },
      )
      // A remembered token answers synchronously; a flushed one would need a signature check.
      expect(authenticator.resolve(bearer(tokenA))).not.toBeInstanceOf(Promise)
    } finally {
      await b.close()
    }
  }, 30_000)

  it('issue-9 decide ID tokens: a Keycloak ID token (typ ID) for the API audience is refused', async () => {
    for (const claimsOption of ['keycloak', 'generic'] as const) {
      const authenticator = createAuthenticator({
        issuer: idp.issuer,
        audience: 'api',
        jwksUri: idp.jwksUri,
        claims: claimsOption,
      })
      const idToken = await sign(key, claims({ iss: idp.issuer, aud: 'api', typ: 'ID' }), {
        header: { typ: 'JWT' },
      })
      const error = await rejection(authenticator.authenticate(bearer(idToken)))
      expect(error.message).toBe('The token is not an access token')
      const accessToken = await sign(key, claims({ iss: idp.issuer, aud: 'api', typ: 'Bearer' }))
      expect(await authenticator.authenticate(bearer(accessToken))).toBeDefined()
    }
  })

  it('issue-9 decide https: http issuers and JWKS URLs need loopback or allowInsecureRequests', () => {
    const insecure = { issuer: 'http://idp.example.com', audience: 'api' }
    expect(() => createAuthenticator(insecure)).toThrow(/allowInsecureRequests/)
    expect(() =>
      createAuthenticator({
        ...insecure,
        issuer: 'https://idp.example.com',
        jwksUri: 'http://idp.example.com/jwks',
      }),
    ).toThrow(ConfigurationError)
    expect(() => createAuthenticator({ ...insecure, allowInsecureRequests: true })).not.toThrow()
    for (const host of ['127.0.0.1:8080', 'localhost:3000', '[::1]:4000'])
      expect(() => createAuthenticator({ issuer: `http://${host}`, audience: 'api' })).not.toThrow()
  })

  it('issue-9 decide https: a discovered jwks_uri never downgrades an https issuer', async () => {
    const fetched: string[] = []
    const fakeFetch: typeof fetch = async (input) => {
      const url = String(input)
      fetched.push(url)
      if (url.endsWith('/.well-known/openid-configuration')) {
        return Response.json({ issuer: HS_ISSUER, jwks_uri: 'http://issuer.test/jwks' })
      }
      return Response.json({ keys: [key.publicJwk] })
    }
    for (const allowInsecureRequests of [false, true]) {
      fetched.length = 0
      const authenticator = createAuthenticator({
        issuer: HS_ISSUER,
        audience: 'api',
        fetch: fakeFetch,
        allowInsecureRequests,
      })
      const token = await sign(key, claims({ iss: HS_ISSUER, aud: 'api' }))
      const error = await rejection(authenticator.authenticate(bearer(token)))
      expect(error).toBeInstanceOf(KeySetUnavailableError)
      expect(fetched).not.toContain('http://issuer.test/jwks')
    }
  })

  it('issue-9 decide GET body: a form-body token is not read on GET (RFC 6750 §2.2)', async () => {
    const authenticator = createAuthenticator({ ...hsOptions, tokenLocations: ['header', 'body'] })
    const form = {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: { access_token: await hsToken() },
    }
    const error = await rejection(authenticator.authenticate({ method: 'GET', ...form }))
    expect(error).toBeInstanceOf(MissingTokenError)
    expect(await authenticator.authenticate({ method: 'POST', ...form })).toBeDefined()
  })
})

describe('issue-10 §5 strict profile: RFC 9068 claim shapes (unit)', () => {
  it('issue-10 strict custom mappings read scopes as strings and lists as arrays', () => {
    const rules = createClaimRules(
      { scopes: ['a.scope', 'b'], roles: 'r', groups: ['g1', 'g2'] },
      undefined,
      'strict',
    )
    expect(
      rules.map({ a: { scope: 'x y' }, b: ['z'], r: 'admin', g1: ['s'], g2: 'staff' }),
    ).toMatchObject({ scopes: ['x', 'y'], roles: [], groups: ['s'] })
    const single = createClaimRules({ scopes: (c) => c.perm }, undefined, 'strict')
    expect(single.map({ perm: 'p q' }).scopes).toEqual(['p', 'q'])
    expect(single.map({ perm: ['p'] }).scopes).toEqual([])
  })

  it('issue-10 strict presets: okta scp list then scope string, auth0 permissions as scopes', () => {
    const okta = createClaimRules('okta', undefined, 'strict')
    expect(okta.map({ scp: ['a', 'b'] }).scopes).toEqual(['a', 'b'])
    expect(okta.map({ scope: 'c d' }).scopes).toEqual(['c', 'd'])
    const auth0 = createClaimRules(
      { preset: 'auth0', permissionsAsScopes: true },
      undefined,
      'strict',
    )
    expect(auth0.map({ scope: 'openid', permissions: ['read:x'] }).scopes).toEqual([
      'openid',
      'read:x',
    ])
    expect(
      createClaimRules('keycloak', undefined, 'strict').map({ realm_access: { roles: 'a' } }).roles,
    ).toEqual([])
  })
})

describe('issue-9 edges of the new rules', () => {
  it('issue-9 transport policy: https, loopback http, the opt-in, and nothing else', async () => {
    const { isAllowedTransport, isDowngrade } = await import('../../src/keys/transport-policy.js')
    expect(isAllowedTransport('https://idp.example.com', false)).toBe(true)
    expect(isAllowedTransport('http://127.10.0.1:80/x', false)).toBe(true)
    expect(isAllowedTransport('http://api.localhost/x', false)).toBe(true)
    expect(isAllowedTransport('http://idp.example.com', false)).toBe(false)
    expect(isAllowedTransport('http://idp.example.com', true)).toBe(true)
    expect(isAllowedTransport('ftp://idp.example.com', true)).toBe(false)
    expect(isAllowedTransport('not a url', true)).toBe(false)
    expect(isDowngrade('https://a', 'http://127.0.0.1/jwks')).toBe(true)
    expect(isDowngrade('http://127.0.0.1', 'http://127.0.0.1/jwks')).toBe(false)
  })

  it('issue-9 resolver overrides: audience lists and jwksUri are checked, other shapes refused', async () => {
    const answers: [unknown, boolean][] = [
      [{ audience: ['api', 'x'] }, true],
      [{ jwksUri: idp.jwksUri }, true],
      [{ jwksUri: 'http://idp.example.com/jwks' }, false],
      [{ audience: [] }, false],
      [new Map([['audience', 'api']]), false],
    ]
    for (const [answer, accepted] of answers) {
      const authenticator = createAuthenticator({
        issuer: template(),
        audience: 'api',
        jwksUri: idp.jwksUri,
        resolveTenant: () => answer as boolean,
      })
      const token = await sign(key, claims({ iss: tenantIss('acme'), aud: 'api' }))
      const outcome = await authenticator.authenticate(bearer(token)).then(
        () => true,
        () => false,
      )
      expect(outcome, JSON.stringify(answer)).toBe(accepted)
      authenticator.close()
    }
  })

  it('issue-9 provider profiles: a non-string payload typ and a refresh token are refused', async () => {
    const authenticator = createAuthenticator({ ...hsOptions })
    for (const typ of [5, 'Refresh', 'logout']) {
      const error = await rejection(authenticator.authenticate(bearer(await hsToken({ typ }))))
      expect(error.message).toBe('The token is not an access token')
    }
  })
})

describe('issue-9 mechanisms (unit)', () => {
  it('issue-9 fetchJson refuses plain HTTP to a non-loopback host, whoever built the URL', async () => {
    const { fetchJson } = await import('../../src/keys/fetch-json.js')
    let called = false
    const limits = {
      fetch: (async () => {
        called = true
        return Response.json({})
      }) as typeof fetch,
      timeoutDuration: 1000,
      maxResponseSize: 1000,
    }
    await expect(fetchJson('http://idp.example.com/jwks', limits, 'jwks')).rejects.toMatchObject({
      kind: 'insecure',
    })
    expect(called).toBe(false)
    await expect(
      fetchJson('http://idp.example.com/jwks', { ...limits, allowInsecureRequests: true }, 'jwks'),
    ).resolves.toMatchObject({ json: {} })
  })

  it('issue-9 TenantFetchGate admits a re-created key set once the cooldown has passed', async () => {
    const { TenantFetchGate } = await import('../../src/verify/tenant-fetch-gate.js')
    let now = 0
    const gate = new TenantFetchGate(1000, 10, () => now)
    const fetchOk = (async () => Response.json({})) as typeof fetch
    await gate.guard('t', fetchOk)('https://x')
    await expect(gate.guard('t', fetchOk)('https://x')).rejects.toThrow('cooldown')
    now = 1000
    await expect(gate.guard('t', fetchOk)('https://x')).resolves.toBeInstanceOf(Response)
    gate.clear()
  })
})
