/**
 * Issue 16 §2 and issue 10 §3: close() during an in-flight fetch leaves no open handle (the
 * process exits on its own) and installs no keys afterwards. Each case runs in a child process.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import { startFaultyIdp, type Fault, type FaultyIdp } from './harness.js'

const CHILD = fileURLToPath(new URL('./close-during-fetch.child.ts', import.meta.url))
let key: TestKey
let idp: FaultyIdp
beforeAll(async () => {
  key = await createTestKey('ES256')
})
afterEach(() => idp.close())

/**
 * Runs the child; resolves with its report and how long it took to exit after reporting (its
 * last statement), or kills it at 15 s.
 */
function runChild(
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; ms: number }> {
  let reported = Number.POSITIVE_INFINITY
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
    reported = Math.min(reported, performance.now())
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer)
      resolve({ code, out, ms: performance.now() - reported })
    }),
  )
}

// Each child loads the sources through tsx: seconds on a busy machine.
describe('close() during an in-flight fetch', { timeout: 40_000 }, () => {
  it.each([
    ['a hanging JWKS endpoint', { kind: 'hang' }, 200],
    ['a slow JWKS endpoint that answers after close()', { kind: 'slow', delayMs: 1_000 }, 1_500],
  ] as const)(
    'with %s: 503, no keys installed, the process exits on its own',
    async (_name, fault, waitMs) => {
      idp = await startFaultyIdp()
      idp.keys = [key.publicJwk]
      idp.jwks = fault as Fault
      const token = await sign(key, claims({ iss: idp.issuer, aud: AUDIENCE }))
      const { code, out, ms } = await runChild({
        ISSUER: idp.issuer,
        JWKS_URI: `${idp.issuer}/jwks`,
        TOKEN: token,
        CLOSE_AFTER_MS: '300',
        WAIT_MS: String(waitMs),
      })
      expect(code).toBe(0)
      expect(JSON.parse(out)).toEqual({ status: 503, keys: 0 })
      expect(idp.hits('/jwks')).toBe(1)
      // Well under the 60 s fetch timeout: nothing was left to keep the process alive.
      expect(ms).toBeLessThan(8_000)
    },
  )
})
