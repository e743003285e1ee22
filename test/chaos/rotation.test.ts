/**
 * Issue 16 §1 with the real oidc-provider: key rotations at any moment, on every adapter, with
 * the default 30 s cooldown. A rotation is a new Provider built with the new key set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORK_NAMES } from '../helpers/route-apps.js'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'
import { drive, expectOnlyDocumented, sleep, startApp } from './harness.js'

let provider: TestProvider
beforeAll(async () => {
  provider = await startProvider()
})
afterAll(() => provider.close())

// A token of the provider with its header's kid replaced: signed by no published key.
function madeUp(token: string, index: number): string {
  const [, payload, signature] = token.split('.')
  const header = Buffer.from(
    JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: `made-up-${index}` }),
  ).toString('base64url')
  return `${header}.${payload}.${signature}`
}

describe.each(FRAMEWORK_NAMES)('key rotation on %s (oidc-provider)', (framework) => {
  const start = () => startApp(framework, { issuer: provider.issuer, audience: RESOURCE })

  it('accepts a key published right after warm-up within about a second, with one fetch', async () => {
    const app = await start()
    try {
      expect((await drive(app.url, [await provider.token('reader')])).count(200)).toBe(1)
      const before = provider.jwksFetches()
      await provider.rotateKeys()
      const started = performance.now()
      const report = await drive(app.url, [await provider.token('reader')])
      expect(report.count(200)).toBe(1)
      expect(performance.now() - started).toBeLessThan(1_500)
      expect(provider.jwksFetches() - before).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('picks up a rotation during a made-up-kid flood, and the flood costs one fetch', async () => {
    const app = await start()
    try {
      const warm = await provider.token('reader')
      expect((await drive(app.url, [warm])).count(200)).toBe(1)
      await sleep(1_000)
      let before = provider.jwksFetches()
      const flood = Array.from({ length: 30 }, (_, i) => madeUp(warm, i))
      const refused = await drive(app.url, flood)
      expectOnlyDocumented(refused, 2_000)
      expect(refused.count(401)).toBe(30)
      expect(provider.jwksFetches() - before).toBe(1)

      await provider.rotateKeys()
      before = provider.jwksFetches()
      const valid = await Promise.all(Array.from({ length: 10 }, () => provider.token('reader')))
      const mixed = valid.flatMap((token, i) => [token, madeUp(warm, 100 + i)])
      const started = performance.now()
      const report = await drive(app.url, mixed, { concurrency: 4 })
      expectOnlyDocumented(report, 2_000)
      // Every made-up kid refused; every valid token accepted but, in this sustained flood (the
      // cooldown's 8 corroboration waits are spent), possibly the very first.
      expect(report.count(200)).toBeGreaterThanOrEqual(9)
      expect(report.count(401)).toBe(20 - report.count(200))
      // Each valid token within about a second (a made-up kid is held up to 1 s, then refused).
      for (const answer of report.answers.filter((a) => a.status === 200))
        expect(answer.ms).toBeLessThan(1_500)
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(provider.jwksFetches() - before).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('refuses tokens of a withdrawn key within about two seconds of the first fetch that missed it', async () => {
    const app = await start()
    try {
      const old = await provider.token('reader')
      expect((await drive(app.url, [old])).count(200)).toBe(1)
      await sleep(1_000)
      await provider.rotateKeys({ keepPrevious: false })
      const started = performance.now()
      expect((await drive(app.url, [await provider.token('reader')])).count(200)).toBe(1)
      let refusedAfter = Number.POSITIVE_INFINITY
      for (let i = 0; i < 40 && !Number.isFinite(refusedAfter); i++) {
        if ((await drive(app.url, [old])).count(401) === 1)
          refusedAfter = performance.now() - started
        else await sleep(100)
      }
      expect(refusedAfter).toBeLessThan(3_000)
    } finally {
      await app.close()
    }
  })
})
