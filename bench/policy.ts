/**
 * Policy benchmarks, in one process, all on 127.0.0.1:
 *  1. one decision under a policy vs the same requirement written as a guard;
 *  2. decisions through route bindings for documents of 10 to 10,000 rules/bindings, next to a
 *     linear scan of the same patterns (what a naive router would cost), plus compile time;
 *  3. p99 latency of an Express app under load while the policy is swapped every second,
 *     against the same load without swaps.
 *
 *   npx tsx bench/policy.ts            (add --quick for a short run)
 */
import { cpus, totalmem } from 'node:os'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:http'
import autocannon from 'autocannon'
import express from 'express'
import { SignJWT } from 'jose'
import { guardFor, loadPolicy, type AuthRequest } from 'oidc-guard'
import { authenticate, enforcePolicy } from 'oidc-guard/express'
import { compilePolicy } from '../src/policy/compile.js'
import { validateDocument } from '../src/policy/parse.js'
import { createClaimRules } from '../src/claims/claim-mapping.js'
import { buildAuthContext } from '../src/verify/auth-context.js'
import { median } from './stats.js'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 5
const ITERATIONS = quick ? 200_000 : 1_000_000

const claims = {
  iss: 'https://idp.bench.example',
  aud: 'orders-api',
  sub: 'u1',
  exp: Math.floor(Date.now() / 1000) + 3600,
  scope: 'orders:read orders:write',
  roles: ['editor'],
}
const auth = buildAuthContext('t', claims, createClaimRules('generic').map(claims), 'api')
const request: AuthRequest = {
  method: 'GET',
  path: '/orders/42',
  headers: {},
  params: { id: '42' },
}

/** Median nanoseconds per call over several rounds. */
function nsPerOp(operation: (index: number) => unknown, iterations = ITERATIONS): number {
  let sink = 0
  for (let i = 0; i < 50_000; i++) if (operation(i)) sink++
  const rounds: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) if (operation(i)) sink++
    rounds.push(Number(process.hrtime.bigint() - started) / iterations)
  }
  if (sink < 0) console.log(sink)
  return median(rounds)
}

function documentOf(size: number, version = 1) {
  const actions: Record<string, null> = {}
  const routes: Record<string, string> = {}
  const rules = []
  for (let i = 0; i < size; i++) {
    actions[`res${i}.read`] = null
    routes[`GET /res${i}/:id`] = `res${i}.read`
    rules.push({
      id: `r${i}`,
      action: `res${i}.read`,
      allow: { role: 'editor', scope: 'orders:read' },
    })
  }
  return { version, actions, rules, routes }
}

const fmt = (value: number, digits = 0) => value.toFixed(digits)
console.log(`# policy bench\n`)
console.log(`command: npx tsx bench/policy.ts${quick ? ' --quick' : ''}`)
console.log(
  `machine: ${cpus()[0]?.model} × ${cpus().length}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, ${new Date().toISOString()}\n`,
)

// 1. A decision vs the same requirement as a guard.
const requirement = { role: 'editor', scope: 'orders:read' }
const guard = guardFor(requirement)
const single = compilePolicy(
  validateDocument({
    version: 1,
    actions: { 'orders.read': null },
    rules: [{ id: 'read', action: 'orders.read', allow: requirement }],
    routes: { 'GET /orders/:id': 'orders.read' },
  }),
)
const input = { request }
const rows1 = [
  [
    'guard: guardFor({ role, scope }).evaluate()',
    nsPerOp(() => guard.evaluate(auth, request).allowed),
  ],
  [
    'policy: can(auth, action) — same requirement',
    nsPerOp(() => single.decide('orders.read', auth, input).allowed),
  ],
  [
    'policy: route binding + decision (enforcePolicy path)',
    nsPerOp(() => {
      const match = single.route('GET', '/orders/42')
      return match && single.decide(match.binding.action, auth, input, match).allowed
    }),
  ],
] as const
console.log('## One decision (ns per decision, median of rounds)\n')
console.log('| decision | ns/op |\n|---|---:|')
for (const [name, ns] of rows1) console.log(`| ${name} | ${fmt(ns)} |`)

// 2. Documents of growing size: route trie vs a linear scan of the same patterns.
console.log('\n## Documents of N rules and N route bindings\n')
console.log(
  '| N | compile (ms) | route + decide, spread over N (ns/op) | route + decide, one binding (ns/op) | linear scan of N patterns (ns/op) |',
)
console.log('|---:|---:|---:|---:|---:|')
for (const size of [10, 100, 1000, 10_000]) {
  const doc = documentOf(size)
  const compileTimes: number[] = []
  let compiled = compilePolicy(validateDocument(doc))
  for (let round = 0; round < (size >= 10_000 ? 3 : 5); round++) {
    const started = performance.now()
    compiled = compilePolicy(validateDocument(documentOf(size, round + 2)))
    compileTimes.push(performance.now() - started)
  }
  // Requests spread over every binding, so caches cannot hide the size.
  const paths = Array.from({ length: 1024 }, (_, i) => `/res${(i * 7919) % size}/42`)
  const policyNs = nsPerOp(
    (i) => {
      const match = compiled.route('GET', paths[i & 1023] as string)
      return match && compiled.decide(match.binding.action, auth, input, match).allowed
    },
    size >= 10_000 ? ITERATIONS / 2 : ITERATIONS,
  )
  // The same lookup and decision on one binding: what the algorithm costs apart from the
  // working set (requests spread over thousands of rules miss the CPU caches).
  const hotNs = nsPerOp(
    () => {
      const match = compiled.route('GET', '/res3/42')
      return match && compiled.decide(match.binding.action, auth, input, match).allowed
    },
    size >= 10_000 ? ITERATIONS / 2 : ITERATIONS,
  )
  const patterns = Array.from({ length: size }, (_, i) => new RegExp(`^/res${i}/([^/]+)$`))
  const scanNs = nsPerOp(
    (i) => {
      const path = paths[i & 1023] as string
      for (const pattern of patterns) if (pattern.test(path)) return true
      return false
    },
    Math.max(2_000, Math.floor(ITERATIONS / size)),
  )
  console.log(
    `| ${size} | ${fmt(median(compileTimes), 1)} | ${fmt(policyNs)} | ${fmt(hotNs)} | ${fmt(scanNs)} |`,
  )
}

// 3. p99 under load while the policy swaps.
const secret = new TextEncoder().encode('a-bench-secret-that-is-at-least-32-bytes!')
const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
  .sign(secret)
const policy = await loadPolicy({ document: documentOf(1000) })
const app = express()
app.use(
  authenticate({
    issuer: claims.iss,
    audience: 'orders-api',
    secret: new TextDecoder().decode(secret),
    policy,
  }),
)
app.get('/:resource/:id', enforcePolicy(), (_req, res) => void res.send('ok'))
const server = createServer(app)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/res500/42`
const duration = quick ? 3 : 8

async function load(): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: 20,
    duration,
    headers: { authorization: `Bearer ${token}` },
  })
}
const calm = await load()
let version = 2
const swapTimes: number[] = []
const swapper = setInterval(() => {
  const started = performance.now()
  policy.set(documentOf(1000, version++))
  swapTimes.push(performance.now() - started)
}, 1000)
const swapping = await load()
clearInterval(swapper)
server.close()
console.log('\n## Express under load (20 connections, loopback), policy of 1,000 rules/bindings\n')
console.log(
  '| run | req/s | p50 (ms) | p99 (ms) | non-2xx | errors |\n|---|---:|---:|---:|---:|---:|',
)
for (const [name, result] of [
  ['steady', calm],
  [`swapped every second (${swapTimes.length} swaps)`, swapping],
] as const) {
  console.log(
    `| ${name} | ${fmt(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx} | ${result.errors} |`,
  )
}
console.log(
  `\nOne swap (validate + compile 1,000 rules + swap, on the event loop): median ${fmt(median(swapTimes), 1)} ms, max ${fmt(Math.max(...swapTimes), 1)} ms.`,
)
policy.close()
