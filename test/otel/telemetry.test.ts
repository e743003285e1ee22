import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createAuthenticator,
  InvalidTokenError,
  reasonCode,
  requireAcr,
  requireRole,
  requireScope,
  type AuthContext,
  type AuthRequest,
  type SingleIssuerOptions,
} from 'oidc-guard'
import { ATTRIBUTES, createTelemetry, METRICS, SPANS, type TelemetryOptions } from 'oidc-guard/otel'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { AUDIENCE, claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import { rejection } from '../helpers/assertions.js'
import { SignJWT } from 'jose'
import { resolveOptions } from '../../src/config/options.js'
import { IssuerLabels } from '../../src/otel/issuer-labels.js'
import { registerContextManager, startOtelSdk, type OtelSdk } from './otel-sdk.js'

let server: JwksServer
let key: TestKey
let sdk: OtelSdk

beforeAll(async () => {
  registerContextManager()
  server = await startJwksServer()
  key = await createTestKey('RS256')
  server.keys = [key.publicJwk]
})
afterAll(() => server.close())
afterEach(async () => {
  server.behaviour = { kind: 'ok' }
  server.discovery = undefined
  await sdk?.shutdown()
})

function setup(
  telemetryOptions: TelemetryOptions = {},
  options: Partial<SingleIssuerOptions> = {},
) {
  sdk = startOtelSdk()
  const telemetry = createTelemetry({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
    ...telemetryOptions,
  })
  const auth = createAuthenticator({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    instrumentation: telemetry,
    // Fetch failures are provoked on purpose here; their one-line hints would only be noise.
    onWarning: () => {},
    ...options,
  } as SingleIssuerOptions)
  return { telemetry, auth }
}

const request = (token?: string): AuthRequest => ({
  method: 'GET',
  path: '/orders',
  headers: token ? { authorization: `Bearer ${token}` } : {},
})

const tokenFor = (overrides = {}) => sign(key, claims({ iss: server.issuer, ...overrides }))

describe('createTelemetry(): decisions', () => {
  it('counts allowed and denied decisions by type, outcome, reason, guard and issuer', async () => {
    const { auth } = setup()
    const reader = await tokenFor({ sub: 'alice', scope: 'orders:read' })
    const expired = await tokenFor({ exp: Math.floor(Date.now() / 1000) - 600 })
    const canRead = requireScope('orders:read')
    const admin = requireRole('admin')
    for (let i = 0; i < 3; i++) {
      const context = await auth.authenticate(request(reader))
      auth.authorize(canRead, context, request(reader))
    }
    const context = await auth.authenticate(request(reader))
    expect(() => auth.authorize(admin, context, request(reader))).toThrow()
    await expect(auth.authenticate(request(expired))).rejects.toBeInstanceOf(InvalidTokenError)
    await expect(auth.authenticate(request())).rejects.toThrow()
    expect(() => auth.authorize(canRead, undefined, request())).toThrow()

    const points = await sdk.points(METRICS.decisions)
    const counted = points.map((point) => ({ ...point.attributes, count: point.value }))
    expect(counted).toEqual(
      expect.arrayContaining([
        {
          [ATTRIBUTES.decisionType]: 'authenticate',
          [ATTRIBUTES.outcome]: 'allow',
          [ATTRIBUTES.issuer]: server.issuer,
          count: 4,
        },
        {
          [ATTRIBUTES.decisionType]: 'authorize',
          [ATTRIBUTES.outcome]: 'allow',
          [ATTRIBUTES.issuer]: server.issuer,
          [ATTRIBUTES.guard]: 'requireScope(orders:read)',
          count: 3,
        },
        {
          [ATTRIBUTES.decisionType]: 'authorize',
          [ATTRIBUTES.outcome]: 'deny',
          [ATTRIBUTES.reason]: 'forbidden',
          [ATTRIBUTES.httpStatus]: 403,
          [ATTRIBUTES.guard]: 'requireRole(admin)',
          [ATTRIBUTES.issuer]: server.issuer,
          count: 1,
        },
        {
          [ATTRIBUTES.decisionType]: 'authenticate',
          [ATTRIBUTES.outcome]: 'deny',
          [ATTRIBUTES.reason]: 'expired',
          [ATTRIBUTES.httpStatus]: 401,
          count: 1,
        },
        {
          [ATTRIBUTES.decisionType]: 'authenticate',
          [ATTRIBUTES.outcome]: 'deny',
          [ATTRIBUTES.reason]: 'no_credentials',
          [ATTRIBUTES.httpStatus]: 401,
          count: 1,
        },
        {
          [ATTRIBUTES.decisionType]: 'authorize',
          [ATTRIBUTES.outcome]: 'deny',
          [ATTRIBUTES.reason]: 'no_credentials',
          [ATTRIBUTES.httpStatus]: 401,
          [ATTRIBUTES.guard]: 'requireScope(orders:read)',
          count: 1,
        },
      ]),
    )
    expect(points).toHaveLength(6)
    // Never the token, never the subject in metrics.
    const text = JSON.stringify(await sdk.collect(), (_k, v) => (v instanceof Map ? [...v] : v))
    expect(text).not.toContain(reader.split('.')[1])
    expect(text).not.toContain('alice')
  })

  it('counts each issuer and guard in its own series when requests alternate between them', async () => {
    sdk = startOtelSdk()
    const telemetry = createTelemetry({
      meterProvider: sdk.meterProvider,
      tracerProvider: sdk.tracerProvider,
    })
    // The hooks remember the series they counted last: a change of issuer or guard, and an
    // equal issuer in another string, must each land in the right series.
    const from = (issuer: string) => ({ issuer }) as AuthContext
    const [a, b] = [from('https://a.example'), from('https://b.example')]
    const aAgain = from(['https://a', '.example'].join(''))
    const [read, write] = [requireScope('orders:read'), requireScope('orders:write')]
    const sequence = [
      [a, read],
      [a, write],
      [b, read],
      [aAgain, write],
      [a, write],
      [b, read],
      [a, read],
    ] as const
    for (const [auth, guard] of sequence) {
      telemetry.onAuthenticated?.(auth, request())
      telemetry.onAuthorized?.(guard, auth, request())
    }
    const points = await sdk.points(METRICS.decisions)
    const count = (type: string, issuer: string, guard?: string) =>
      points.find(
        ({ attributes }) =>
          attributes[ATTRIBUTES.decisionType] === type &&
          attributes[ATTRIBUTES.issuer] === issuer &&
          attributes[ATTRIBUTES.guard] === guard,
      )?.value
    expect(count('authenticate', 'https://a.example')).toBe(5)
    expect(count('authenticate', 'https://b.example')).toBe(2)
    expect(count('authorize', 'https://a.example', 'requireScope(orders:read)')).toBe(2)
    expect(count('authorize', 'https://b.example', 'requireScope(orders:read)')).toBe(2)
    expect(count('authorize', 'https://a.example', 'requireScope(orders:write)')).toBe(3)
    expect(points).toHaveLength(5)
  })

  it('reports an issuer template, not each tenant, unless includeTenants is set', async () => {
    const template = `${server.url}/{tenant}`
    const tenantOptions = { issuer: template, tenants: ['acme', 'globex'] }
    for (const includeTenants of [false, true]) {
      const { auth } = setup({ includeTenants }, tenantOptions)
      for (const tenant of ['acme', 'globex'])
        await auth.authenticate(request(await tokenFor({ iss: `${server.url}/${tenant}` })))
      const issuers = (await sdk.points(METRICS.decisions)).map(
        (point) => point.attributes[ATTRIBUTES.issuer],
      )
      expect(issuers.sort()).toEqual(
        includeTenants ? [`${server.url}/acme`, `${server.url}/globex`] : [template],
      )
      await sdk.shutdown()
    }
  })

  it('a step-up refusal counts as a 401 deny with its reason code and the verified issuer', async () => {
    const template = `${server.url}/{tenant}`
    const { auth } = setup({}, { issuer: template, tenants: ['acme'] })
    const token = await tokenFor({ iss: `${server.url}/acme`, acr: 'pwd' })
    const context = await auth.authenticate(request(token))
    const mfa = requireAcr('urn:example:mfa')
    for (let i = 0; i < 2; i++)
      expect(() => auth.authorize(mfa, context, request(token))).toThrow(
        'A stronger authentication is required',
      )
    const denied = (await sdk.points(METRICS.decisions)).filter(
      (point) => point.attributes[ATTRIBUTES.outcome] === 'deny',
    )
    expect(denied.map((point) => ({ ...point.attributes, count: point.value }))).toEqual([
      {
        [ATTRIBUTES.decisionType]: 'authorize',
        [ATTRIBUTES.outcome]: 'deny',
        [ATTRIBUTES.reason]: 'step_up_acr',
        [ATTRIBUTES.httpStatus]: 401,
        [ATTRIBUTES.guard]: mfa.description,
        // The template, not the tenant: one series however many tenants there are.
        [ATTRIBUTES.issuer]: template,
        count: 2,
      },
    ])
  })

  it('keeps at most maxSeries series; the rest share one overflow series', async () => {
    const { auth } = setup({ maxSeries: 2 })
    const context = await auth.authenticate(request(await tokenFor({ scope: '' })))
    for (const scope of ['a', 'b', 'c', 'd'])
      expect(() => auth.authorize(requireScope(scope), context, request())).toThrow()
    const points = await sdk.points(METRICS.decisions)
    expect(points).toHaveLength(3)
    expect(points.find((point) => point.attributes[ATTRIBUTES.overflow] === true)?.value).toBe(3)
  })

  it('a throwing hook never changes the answer', async () => {
    const boom = () => {
      throw new Error('exporter down')
    }
    const auth = createAuthenticator({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      instrumentation: { onAuthenticated: boom, onAuthorized: boom, onDenied: boom },
    })
    const token = await tokenFor()
    const context = await auth.authenticate(request(token))
    expect(context?.subject).toBe('user-1')
    expect(auth.authorize(requireScope('orders:read'), context, request(token)).allowed).toBe(true)
    expect(() => auth.authorize(requireScope('x'), context, request(token))).toThrow(
      'The access token lacks the required scope',
    )
    await expect(auth.authenticate(request())).rejects.toThrow('Authentication required')
    sdk = startOtelSdk()
  })
})

describe('createTelemetry(): verification and fetches', () => {
  it('times and traces each verification that is not a cache hit, fetches nested inside', async () => {
    const { auth } = setup()
    const token = await tokenFor()
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))

    const spans = sdk.spans.getFinishedSpans()
    const verify = spans.filter((span) => span.name === SPANS.verify)
    expect(verify).toHaveLength(1)
    expect(verify[0]?.kind).toBe(SpanKind.INTERNAL)
    expect(verify[0]?.attributes).toEqual({
      [ATTRIBUTES.outcome]: 'allow',
      [ATTRIBUTES.issuer]: server.issuer,
    })
    const jwks = spans.find((span) => span.name === SPANS.fetch.jwks)
    expect(jwks?.kind).toBe(SpanKind.CLIENT)
    expect(jwks?.parentSpanContext?.spanId).toBe(verify[0]?.spanContext().spanId)
    const port = Number(new URL(server.url).port)
    expect(jwks?.attributes).toEqual({
      [ATTRIBUTES.fetchKind]: 'jwks',
      [ATTRIBUTES.issuer]: server.issuer,
      [ATTRIBUTES.httpMethod]: 'GET',
      [ATTRIBUTES.urlFull]: server.jwksUri,
      [ATTRIBUTES.serverAddress]: '127.0.0.1',
      [ATTRIBUTES.serverPort]: port,
      [ATTRIBUTES.httpStatus]: 200,
    })
    const [duration] = await sdk.points(METRICS.verificationDuration)
    expect(duration?.attributes).toEqual({
      [ATTRIBUTES.outcome]: 'allow',
      [ATTRIBUTES.issuer]: server.issuer,
    })
    expect((duration?.value as { count: number }).count).toBe(1)
    const [fetchTime] = await sdk.points(METRICS.fetchDuration)
    expect((fetchTime?.value as { count: number; sum: number }).count).toBe(1)
    expect((fetchTime?.value as { sum: number }).sum).toBeGreaterThan(0)
    // Never the token, and no subject unless asked.
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('user-1')
  })

  it('puts the subject on verification spans only with includeSubject', async () => {
    const { auth } = setup({ includeSubject: true })
    await auth.authenticate(request(await tokenFor({ sub: 'alice' })))
    const verify = sdk.spans.getFinishedSpans().find((span) => span.name === SPANS.verify)
    expect(verify?.attributes[ATTRIBUTES.subject]).toBe('alice')
    const decisions = await sdk.points(METRICS.decisions)
    expect(JSON.stringify(decisions.map((point) => point.attributes))).not.toContain('alice')
  })

  it('records a refused verification with its reason, and a 503 as an error', async () => {
    const { auth } = setup()
    const badAudience = await tokenFor({ aud: 'someone-else' })
    await rejection(auth.authenticate(request(badAudience)))
    server.behaviour = { kind: 'status', status: 503 }
    const { auth: unavailable } = setup({}, { cooldownDuration: 0 })
    await rejection(unavailable.authenticate(request(await tokenFor())))

    const spans = sdk.spans.getFinishedSpans()
    const verify = spans.find((span) => span.name === SPANS.verify)
    expect(verify?.attributes).toEqual({
      [ATTRIBUTES.outcome]: 'deny',
      [ATTRIBUTES.reason]: 'keys_unavailable',
      [ATTRIBUTES.errorType]: 'ERR_KEYS_UNAVAILABLE',
    })
    expect(verify?.status.code).toBe(SpanStatusCode.ERROR)
    const jwks = spans.find((span) => span.name === SPANS.fetch.jwks)
    expect(jwks?.attributes[ATTRIBUTES.httpStatus]).toBe(503)
    expect(jwks?.attributes[ATTRIBUTES.errorType]).toBe('status')
    expect(jwks?.status.code).toBe(SpanStatusCode.ERROR)
    const [fetchTime] = await sdk.points(METRICS.fetchDuration)
    expect(fetchTime?.attributes).toEqual({
      [ATTRIBUTES.fetchKind]: 'jwks',
      [ATTRIBUTES.issuer]: server.issuer,
      [ATTRIBUTES.httpStatus]: 503,
      [ATTRIBUTES.errorType]: 'status',
    })
  })

  it('a client-side refusal (wrong audience) is recorded as a deny, not an error', async () => {
    const { auth } = setup()
    await rejection(auth.authenticate(request(await tokenFor({ aud: 'someone-else' }))))
    const verify = sdk.spans.getFinishedSpans().find((span) => span.name === SPANS.verify)
    expect(verify?.attributes[ATTRIBUTES.reason]).toBe('aud')
    expect(verify?.status.code).toBe(SpanStatusCode.UNSET)
    const malformed = await rejection(auth.authenticate(request('a.b.c')))
    expect(malformed).toBeInstanceOf(InvalidTokenError)
    const reasons = (await sdk.points(METRICS.verificationDuration)).map(
      (point) => point.attributes[ATTRIBUTES.reason],
    )
    expect(reasons.sort()).toEqual(['aud', 'malformed'])
  })

  it('traces a verification that completes synchronously (HS256, no key to fetch)', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!'
    const { auth } = setup({}, { secret, algorithms: ['HS256'], jwksUri: undefined })
    const token = await new SignJWT(claims({ iss: server.issuer }))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode(secret))
    const context = auth.resolve(request(token))
    expect(context).not.toBeInstanceOf(Promise)
    const [verify] = sdk.spans.getFinishedSpans()
    expect(verify?.name).toBe(SPANS.verify)
    expect(verify?.attributes[ATTRIBUTES.outcome]).toBe('allow')
  })

  it('traces discovery before the JWKS, each with its kind', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    const { auth } = setup({}, { jwksUri: undefined })
    await auth.authenticate(request(await tokenFor()))
    const names = sdk.spans.getFinishedSpans().map((span) => span.name)
    expect(names).toEqual([SPANS.fetch.discovery, SPANS.fetch.jwks, SPANS.verify])
    const kinds = (await sdk.points(METRICS.fetchDuration)).map(
      (point) => point.attributes[ATTRIBUTES.fetchKind],
    )
    expect(kinds.sort()).toEqual(['discovery', 'jwks'])
  })

  it('records a fetch that never got an answer with its failure and the default port', async () => {
    const { auth } = setup(
      {},
      {
        issuer: 'https://idp.example',
        jwksUri: 'https://idp.example/keys',
        fetch: async () => {
          throw new TypeError('fetch failed')
        },
      },
    )
    await rejection(auth.authenticate(request(await tokenFor({ iss: 'https://idp.example' }))))
    const jwks = sdk.spans.getFinishedSpans().find((span) => span.name === SPANS.fetch.jwks)
    expect(jwks?.attributes).toMatchObject({
      [ATTRIBUTES.serverAddress]: 'idp.example',
      [ATTRIBUTES.serverPort]: 443,
      [ATTRIBUTES.errorType]: 'network',
    })
    expect(jwks?.attributes[ATTRIBUTES.httpStatus]).toBeUndefined()
  })
})

describe('createTelemetry(): the hooks called directly', () => {
  it('runVerification() records a failure that is not ours as other, and as an error', async () => {
    const { telemetry } = setup()
    const bug = new Error('a bug')
    expect(() =>
      telemetry.runVerification?.(() => {
        throw bug
      }),
    ).toThrow(bug)
    await expect(telemetry.runVerification?.(() => Promise.reject(bug))).rejects.toBe(bug)
    const spans = sdk.spans.getFinishedSpans()
    expect(spans).toHaveLength(2)
    for (const span of spans) {
      expect(span.attributes).toEqual({
        [ATTRIBUTES.outcome]: 'deny',
        [ATTRIBUTES.reason]: 'other',
        [ATTRIBUTES.errorType]: 'other',
      })
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
    }
  })

  it('startFetch() traces an introspection call: POST, default port, no issuer when none is known', () => {
    const { telemetry } = setup()
    const end = telemetry.startFetch?.({
      kind: 'introspection',
      url: 'http://idp.example/introspect?x=1',
      issuer: undefined,
    })
    end?.({ status: 200 })
    const [span] = sdk.spans.getFinishedSpans()
    expect(span?.name).toBe(SPANS.fetch.introspection)
    expect(span?.attributes).toEqual({
      [ATTRIBUTES.fetchKind]: 'introspection',
      [ATTRIBUTES.httpMethod]: 'POST',
      [ATTRIBUTES.urlFull]: 'http://idp.example/introspect',
      [ATTRIBUTES.serverAddress]: 'idp.example',
      [ATTRIBUTES.serverPort]: 80,
      [ATTRIBUTES.httpStatus]: 200,
    })
  })

  it('remembers at most 10,000 guards by identity; decisions past that still count', async () => {
    const { auth } = setup({ maxSeries: 3 })
    const token = await tokenFor({ scope: 'orders:read' })
    const context = await auth.authenticate(request(token))
    const guard = requireScope('orders:read')
    for (let i = 0; i < 10_001; i++)
      auth.authorize(requireScope('orders:read'), context, request(token))
    auth.authorize(guard, context, request(token))
    const authorize = (await sdk.points(METRICS.decisions)).filter(
      (point) => point.attributes[ATTRIBUTES.decisionType] === 'authorize',
    )
    expect(authorize.map((point) => point.value)).toEqual([10_002])
  })
})

describe('IssuerLabels', () => {
  it('maps tenants to their template once, leaves other issuers as they are, stays bounded', () => {
    const { issuers } = resolveOptions({
      issuers: [
        { issuer: 'https://login.example/{tenant}/v2', audience: 'a', tenants: ['t1'] },
        { issuer: 'https://plain.example', audience: 'a' },
      ],
    })
    const labels = new IssuerLabels(false, 2)
    labels.add(issuers)
    labels.add(issuers)
    expect(labels.of('https://login.example/t1/v2')).toBe('https://login.example/{tenant}/v2')
    expect(labels.of('https://login.example//v2')).toBe('https://login.example//v2')
    expect(labels.of('https://plain.example')).toBe('https://plain.example')
    // Past the bound, labels are computed each time, with the same answer.
    expect(labels.of('https://login.example/t2/v2')).toBe('https://login.example/{tenant}/v2')
    expect(labels.of('https://login.example/t2/v2')).toBe('https://login.example/{tenant}/v2')
  })
})

describe('createTelemetry(): caches', () => {
  it('observes cache sizes, lookups and the hit ratio since the previous collection', async () => {
    const { auth } = setup()
    const [first, second] = [await tokenFor(), await tokenFor()]
    for (const token of [first, first, first, second]) await auth.authenticate(request(token))
    const metrics = await sdk.collect()
    const value = (name: string, attribute: string, label: string) =>
      metrics.get(name)?.dataPoints.find((point) => point.attributes[attribute] === label)?.value
    expect(value(METRICS.cacheSize, ATTRIBUTES.cache, 'verified_tokens')).toBe(2)
    expect(value(METRICS.cacheSize, ATTRIBUTES.cache, 'issuers')).toBe(1)
    expect(value(METRICS.cacheSize, ATTRIBUTES.cache, 'keys')).toBe(1)
    expect(value(METRICS.cacheSize, ATTRIBUTES.cache, 'unknown_tenants')).toBe(0)
    expect(value(METRICS.cacheLookups, ATTRIBUTES.cacheResult, 'hit')).toBe(2)
    expect(value(METRICS.cacheLookups, ATTRIBUTES.cacheResult, 'miss')).toBe(2)
    expect(metrics.get(METRICS.cacheHitRatio)?.dataPoints[0]?.value).toBe(0.5)

    await auth.authenticate(request(first))
    const next = await sdk.collect()
    expect(next.get(METRICS.cacheHitRatio)?.dataPoints[0]?.value).toBe(1)
  })

  it('keeps lookups after authenticator.close(), and telemetry.close() stops observing', async () => {
    const { auth, telemetry } = setup()
    const token = await tokenFor()
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))
    auth.close()
    auth.close()
    const lookups = await sdk.points(METRICS.cacheLookups)
    expect(lookups.map((point) => point.value)).toEqual([1, 1])
    const sizes = await sdk.points(METRICS.cacheSize)
    expect(sizes.every((point) => point.value === 0)).toBe(true)
    const other = createAuthenticator({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      instrumentation: telemetry,
    })
    telemetry.close()
    await other.authenticate(request(token))
    await other.authenticate(request(token))
    const after = await sdk.points(METRICS.cacheLookups)
    expect(after.map((point) => point.value)).toEqual([1, 1])
  })

  it('works on the global providers (no-op until an SDK registers)', async () => {
    const telemetry = createTelemetry()
    const auth = createAuthenticator({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      instrumentation: telemetry,
    })
    const context = await auth.authenticate(request(await tokenFor()))
    expect(context?.issuer).toBe(server.issuer)
    telemetry.close()
    sdk = startOtelSdk()
  })
})

describe('reasonCode()', () => {
  it('maps each of our sentences to a stable code and anything else to other', () => {
    expect(reasonCode(new InvalidTokenError('The access token expired'))).toBe('expired')
    expect(reasonCode(new InvalidTokenError('The access token has an invalid sub claim'))).toBe(
      'claim_type_sub',
    )
    expect(reasonCode(new InvalidTokenError('No key of the issuer matches the access token'))).toBe(
      'no_key',
    )
    expect(reasonCode(new Error('something else'))).toBe('other')
  })
})
