/**
 * Issue 16 §2: scripted faults of the key endpoint and discovery, each while a bounded client
 * calls an app on every adapter. Asserted: what users get (success rate of valid tokens; only
 * the documented 401/503 with Retry-After; never a 500 or a hang) and what the provider gets
 * (fetch counts). The outcomes are the table in docs/failure-modes.md.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AuthenticateOptions } from 'oidc-guard'
import { FRAMEWORK_NAMES } from '../helpers/route-apps.js'
import { AUDIENCE, claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import {
  drive,
  expectOnlyDocumented,
  sleep,
  startApp,
  startFaultyIdp,
  type FaultyIdp,
} from './harness.js'

let key: TestKey
let next: TestKey
beforeAll(async () => {
  key = await createTestKey('ES256')
  next = await createTestKey('ES256')
})

describe.each(FRAMEWORK_NAMES)('chaos on %s', (framework) => {
  let idp: FaultyIdp
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  async function setup(options: Partial<AuthenticateOptions> = {}) {
    idp = await startFaultyIdp()
    idp.keys = [key.publicJwk]
    closers.push(() => idp.close())
    const app = await startApp(framework, {
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: `${idp.issuer}/jwks`,
      timeoutDuration: 500,
      ...options,
    } as AuthenticateOptions)
    closers.push(() => app.close())
    return app
  }
  const tokens = (count: number, signer = key, overrides = {}) =>
    Promise.all(
      Array.from({ length: count }, () =>
        sign(signer, claims({ iss: idp.issuer, aud: AUDIENCE, ...overrides })),
      ),
    )
  const causes = (app: Awaited<ReturnType<typeof setup>>) =>
    new Set(app.events.filter((event) => event.cause).map((event) => event.cause?.kind))

  it('JWKS slow just under the timeout: every valid token is accepted, one fetch', async () => {
    const app = await setup()
    idp.jwks = { kind: 'slow', delayMs: 300 }
    const report = await drive(app.url, await tokens(20))
    expectOnlyDocumented(report, 1_500)
    expect(report.count(200)).toBe(20)
    expect(idp.hits('/jwks')).toBe(1)
  })

  it('JWKS slow just over the timeout: 503 with Retry-After within the timeout, then recovery', async () => {
    const app = await setup()
    idp.jwks = { kind: 'slow', delayMs: 900 }
    const started = performance.now()
    const report = await drive(app.url, await tokens(20))
    expectOnlyDocumented(report, 1_500)
    expect(report.count(503)).toBe(20)
    expect(causes(app)).toEqual(new Set(['timeout']))
    expect(idp.hits('/jwks')).toBeLessThanOrEqual(
      1 + Math.ceil((performance.now() - started) / 1000),
    )
    // Back to normal: the retry backoff starts at 1 s, not the 30 s cooldown.
    idp.jwks = { kind: 'ok' }
    await sleep(2_100)
    const after = await drive(app.url, await tokens(10))
    expect(after.count(200)).toBe(10)
  })

  it('JWKS flapping up/down every second: cached keys serve every valid token', async () => {
    const app = await setup({ cooldownDuration: 1_000, cacheMaxAge: 1_000 })
    expect((await drive(app.url, await tokens(1))).count(200)).toBe(1)
    const flap = setInterval(() => {
      idp.jwks = idp.jwks.kind === 'ok' ? { kind: 'status', status: 503 } : { kind: 'ok' }
    }, 1_000)
    const started = performance.now()
    try {
      const report = await drive(app.url, await tokens(40), { concurrency: 2, pauseMs: 120 })
      expectOnlyDocumented(report, 1_500)
      expect(report.count(200)).toBe(40)
    } finally {
      clearInterval(flap)
    }
    const seconds = (performance.now() - started) / 1000
    expect(idp.hits('/jwks')).toBeLessThanOrEqual(Math.ceil(seconds) + 2)
  })

  it.each([
    ['connection reset mid-body', { kind: 'reset-mid-body' }, 'network'],
    ['200 with an empty key set', { kind: 'body', body: '{"keys":[]}' }, 'invalid-document'],
    ['valid JSON that is not a JWKS', { kind: 'body', body: '{"issuer":"x"}' }, 'invalid-document'],
  ] as const)(
    '%s: 503 at a cold start, cached keys serve once warm',
    async (_name, fault, kind) => {
      const cold = await setup()
      idp.jwks = fault
      const report = await drive(cold.url, await tokens(10))
      expectOnlyDocumented(report, 1_500)
      expect(report.count(503)).toBe(10)
      expect(causes(cold)).toEqual(new Set([kind]))
      expect(idp.hits('/jwks')).toBe(1) // the backoff holds the next fetch for a second

      const warm = await setup({ cooldownDuration: 1_000, cacheMaxAge: 1_000 })
      expect((await drive(warm.url, await tokens(1))).count(200)).toBe(1)
      idp.jwks = fault
      await sleep(1_100) // stale: the next request refreshes in the background, and that fails
      const during = await drive(warm.url, await tokens(10))
      expect(during.count(200)).toBe(10)
      expect(idp.hits('/jwks')).toBeGreaterThanOrEqual(2)
    },
  )

  it('an unresolvable JWKS host: 503 with Retry-After, bounded by the timeout', async () => {
    const app = await setup({
      jwksUri: 'http://jwks.oidc-guard-chaos.invalid/jwks',
      allowInsecureRequests: true,
    })
    const report = await drive(app.url, await tokens(10))
    expectOnlyDocumented(report, 1_500)
    expect(report.count(503)).toBe(10)
    expect([...causes(app)]).toEqual([expect.stringMatching(/^(network|timeout)$/)])
  })

  it('a key missing from one answer (provider nodes out of sync) is never refused', async () => {
    const app = await setup()
    expect((await drive(app.url, await tokens(1))).count(200)).toBe(1)
    // One node publishes only the new key; the next answers are complete again.
    idp.keys = [next.publicJwk]
    expect((await drive(app.url, await tokens(1, next))).count(200)).toBe(1)
    idp.keys = [key.publicJwk, next.publicJwk]
    const report = await drive(app.url, await tokens(30), { concurrency: 2, pauseMs: 100 })
    expect(report.count(200)).toBe(30)
    // The warm-up, the new kid, and one confirmation that found the key again.
    expect(idp.hits('/jwks')).toBe(3)
  })

  it('a key withdrawn for good is refused after three fetches missed it (about 2 s)', async () => {
    const app = await setup()
    const old = await tokens(1)
    expect((await drive(app.url, old)).count(200)).toBe(1)
    idp.keys = [next.publicJwk]
    const signed = await tokens(1, next)
    await sleep(1_000) // past the minimum interval: the new kid's fetch starts at once
    const started = performance.now() // the first fetch that misses the old key
    expect((await drive(app.url, signed)).count(200)).toBe(1)
    let refusedAfter = Number.POSITIVE_INFINITY
    for (let i = 0; i < 40 && refusedAfter === Number.POSITIVE_INFINITY; i++) {
      // The same token: the verified-token cache is dropped once the key is removed.
      const report = await drive(app.url, old)
      expectOnlyDocumented(report, 1_500)
      if (report.count(401) === 1) refusedAfter = performance.now() - started
      else await sleep(100)
    }
    expect(refusedAfter).toBeGreaterThan(1_500)
    expect(refusedAfter).toBeLessThan(3_000)
    expect(idp.hits('/jwks')).toBe(4) // warm-up, new kid, two confirmations: none for the refusal
  })

  it.each(['gone', 'still serving old keys'] as const)(
    'discovery that changes its jwks_uri (old URL %s) is followed',
    async (oldUrl) => {
      const app = await setup({ jwksUri: undefined, cooldownDuration: 1_000 })
      expect((await drive(app.url, await tokens(1))).count(200)).toBe(1)
      idp.jwksPath = '/jwks-v2'
      idp.keysAt.set('/jwks-v2', [next.publicJwk, key.publicJwk])
      if (oldUrl === 'gone') idp.gone.add('/jwks')
      await sleep(1_100)
      const report = await drive(app.url, await tokens(10, next))
      expectOnlyDocumented(report, 1_500)
      expect(report.count(200)).toBe(10)
      expect(idp.hits('/.well-known/openid-configuration')).toBe(2)
      expect(idp.hits('/jwks-v2')).toBe(1)
    },
  )

  it.each(['no-store', 'max-age=0'])(
    'Cache-Control: %s on the JWKS causes no refetch storm',
    async (cacheControl) => {
      const app = await setup()
      idp.jwks = { kind: 'ok', cacheControl }
      const report = await drive(app.url, await tokens(40), { concurrency: 4, pauseMs: 20 })
      expect(report.count(200)).toBe(40)
      expect(idp.hits('/jwks')).toBe(1)
    },
  )

  it('a provider clock ahead or behind: accepted within clockTolerance, 401 beyond', async () => {
    const app = await setup()
    const now = Math.floor(Date.now() / 1000)
    const within = [
      ...(await tokens(3, key, { iat: now + 3, nbf: now + 3 })), // ahead by 3 s
      ...(await tokens(3, key, { iat: now - 33, exp: now - 3 })), // behind by 3 s
    ]
    const beyond = [
      ...(await tokens(3, key, { iat: now + 60, nbf: now + 60 })),
      ...(await tokens(3, key, { iat: now - 90, exp: now - 60 })),
    ]
    const ok = await drive(app.url, within)
    const refused = await drive(app.url, beyond)
    expectOnlyDocumented(refused, 1_500)
    expect(ok.count(200)).toBe(6)
    expect(refused.count(401)).toBe(6)
    for (const answer of refused.answers)
      expect(answer.challenge).toContain('error="invalid_token"')
    expect(idp.hits('/jwks')).toBe(1)
  })
})
