/**
 * `npx tsx bench/otel.ts [--rounds 21] [--iterations 100000]`: what OpenTelemetry costs on the
 * cached path (a remembered token, then a guard), in process, with the OpenTelemetry SDK
 * installed and no-op exporters, against the same path without instrumentation.
 *
 * CPU time per request (this process, all threads), so other load on the machine does not
 * count. Both variants run in the same process, interleaved round by round (ABAB…), on the same
 * tokens; each cell is the median of the rounds. Metrics are collected every 100 ms by a
 * periodic reader during the run, so the cost of observing counters is in the figures too.
 */
import { cpus } from 'node:os'
import { execSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import {
  createAuthenticator,
  requireScope,
  type AuthContext,
  type AuthRequest,
  type Instrumentation,
} from 'oidc-guard'
import { createTelemetry } from 'oidc-guard/otel'
import { createTestKeySync } from '../src/testing/keys.js'
import { startNoopOtelSdk } from './otel-sdk.js'
import { signAccessTokens } from './fixtures.js'
import { median } from './stats.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '21' },
    iterations: { type: 'string', default: '100000' },
  },
})
const rounds = Number(values.rounds)
const iterations = Number(values.iterations)

const ISSUER = 'https://idp.bench.example'
const AUDIENCE = 'https://orders.example.com'
const key = createTestKeySync('RS256', 'k')
const body = JSON.stringify({ keys: [key.publicJwk] })
const pool = signAccessTokens(key.privateKey, 1_000, { issuer: ISSUER, audience: AUDIENCE })

const { meterProvider, tracerProvider } = startNoopOtelSdk()

async function variant(instrumentation: Instrumentation | undefined) {
  const auth = createAuthenticator({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${ISSUER}/jwks`,
    fetch: async () => new Response(body),
    // Remembered for the whole run (the default 5 minutes can pass on a loaded machine).
    tokenCacheMaxAge: 3_600_000,
    instrumentation,
  })
  const guard = requireScope('orders:read')
  // Every token verified once, so the measured path is the cached one.
  for (const token of pool)
    await auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } })
  return { auth, guard }
}

const telemetry = createTelemetry({ meterProvider, tracerProvider })
const variants = {
  'without OpenTelemetry': await variant(undefined),
  'createTelemetry(), SDK + no-op exporters': await variant(telemetry),
  // The same as the first, measured the same way: how far apart two equal paths come out on
  // this machine in this run (the noise floor the OpenTelemetry row must be read against).
  'without OpenTelemetry, second instance (A/A)': await variant(undefined),
}
type Name = keyof typeof variants

// One request: a remembered token (a new string each call, as off a socket), then the guard.
async function measure(name: Name, mode: 'same' | 'pool'): Promise<number> {
  const { auth, guard } = variants[name]
  const requests: AuthRequest[] = pool.map((token) => ({
    method: 'GET',
    path: '/orders',
    headers: { authorization: `Bearer ${mode === 'same' ? pool[0] : token}` },
  }))
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const request = requests[i % requests.length] as AuthRequest
      const context = auth.resolve(request)
      if (context instanceof Promise || context === undefined) throw new Error('not cached')
      auth.authorize(guard, context, request)
    }
  }
  run(20_000)
  // CPU time, not wall time: on a shared machine the wall clock also counts time descheduled.
  const cpu = process.cpuUsage()
  run(iterations)
  const used = process.cpuUsage(cpu)
  const elapsed = ((used.user + used.system) * 1000) / iterations
  // Let the periodic reader run between rounds as it would between requests.
  await new Promise((resolve) => setTimeout(resolve, 120))
  return elapsed
}

const names = Object.keys(variants) as Name[]
const lines: string[] = []
let kernel = ''
try {
  kernel = execSync('uname -sr').toString().trim()
} catch {}
lines.push(
  `Command: npx tsx bench/otel.ts --rounds ${rounds} --iterations ${iterations}`,
  `Machine: Node ${process.version}, ${kernel}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  '',
  '| cached path (resolve + requireScope) | tokens | CPU ns/request, median | × without (median of per-round ratios) |',
  '| --- | --- | ---: | ---: |',
)
for (const mode of ['same', 'pool'] as const) {
  const samples: Record<Name, number[]> = Object.fromEntries(
    names.map((name) => [name, []]),
  ) as never
  // The ratio within each round (the variants measured back to back, in alternating order)
  // cancels the machine's drifting load better than a ratio of medians.
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names)
      samples[name].push(await measure(name, mode))
  }
  const baseline = samples[names[0] as Name]
  const tokens = mode === 'same' ? '1 token' : '1,000 tokens'
  for (const name of names) {
    const ratios = samples[name].map((value, round) => value / (baseline[round] as number))
    lines.push(
      `| ${name} | ${tokens} | ${median(samples[name]).toFixed(0)} | ${median(ratios).toFixed(3)} |`,
    )
  }
}
// The work the hooks add to a cached request, alone: less noisy than the difference of two
// noisy paths on a shared machine.
{
  const { auth, guard } = variants['createTelemetry(), SDK + no-op exporters']
  const request: AuthRequest = {
    method: 'GET',
    headers: { authorization: `Bearer ${pool[0]}` },
  }
  const context = auth.resolve(request) as AuthContext
  const hookSamples: number[] = []
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage()
    for (let i = 0; i < iterations * 10; i++) {
      telemetry.onAuthenticated?.(context, request)
      telemetry.onAuthorized?.(guard, context, request)
    }
    const used = process.cpuUsage(cpu)
    hookSamples.push(((used.user + used.system) * 1000) / (iterations * 10))
  }
  lines.push(
    `| the two hooks alone (onAuthenticated + onAuthorized) | 1 token | ${median(hookSamples).toFixed(0)} | |`,
  )
}
await meterProvider.shutdown()
await tracerProvider.shutdown()
console.log(lines.join('\n'))
