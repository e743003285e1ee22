/**
 * Soak (issue 16 §3), on demand, not in CI: `npx tsx bench/soak.ts [--minutes 10] [--out file]`.
 *
 * Express, Koa and Fastify apps (default options) in one process, each called by a bounded
 * loopback client with a mix of valid (remembered and fresh), expired, forged, made-up-kid and
 * unknown-issuer tokens, while the provider's JWKS endpoint goes down for 10 s and the provider
 * rotates its key once a minute (new key published and signing at :40, the old one withdrawn at
 * :55). Reports RSS and heap over time, event-loop delay p99, JWKS fetches per minute and the
 * answers per token kind.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { signJws } from '../src/testing/jws.js'
import { oidcGuardServer } from './contenders.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    out: { type: 'string' },
    workers: { type: 'string', default: '3' },
    pause: { type: 'string', default: '10' },
  },
})
const MINUTES = Number(values.minutes)
const WORKERS = Number(values.workers)
const PAUSE_MS = Number(values.pause)
const SAMPLE_MS = 10_000
const AUDIENCE = 'orders-api'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string) => process.stderr.write(`${line}\n`)

interface SigningKey {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly jwk: Record<string, unknown>
}
let serial = 0
function newKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = `soak-${++serial}`
  const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'ES256' }
  return { kid, privateKey, jwk: { ...jwk, use: 'sig' } }
}

// The provider stand-in: discovery-free, a JWKS that can be down, counting fetches.
const provider = { keys: [] as SigningKey[], up: true, fetches: 0 }
const idp: Server = createServer((req, res) => {
  if (req.url !== '/jwks') return void res.writeHead(404).end()
  provider.fetches += 1
  if (!provider.up) return void res.writeHead(503).end()
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ keys: provider.keys.map((key) => key.jwk) }))
})
await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve))
const ISSUER = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`

let signing = newKey()
provider.keys = [signing]
const attacker = newKey()

function token(kind: Kind): string {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'soak',
    client_id: 'soak',
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    scope: 'orders:read',
  }
  const header = (kid: string) => ({ alg: 'ES256', typ: 'at+jwt', kid })
  const sign = (key: KeyObject, kid: string, overrides = {}) =>
    signJws(key, header(kid), { ...claims, ...overrides }, 'ES256')
  switch (kind) {
    case 'valid':
      return sign(signing.privateKey, signing.kid)
    case 'remembered':
      return remembered[Math.floor(Math.random() * remembered.length)] as string
    case 'expired':
      return sign(signing.privateKey, signing.kid, { iat: now - 600, exp: now - 300 })
    case 'forged':
      return sign(attacker.privateKey, signing.kid)
    case 'made-up kid':
      return sign(attacker.privateKey, `made-up-${randomUUID()}`)
    case 'unknown issuer':
      return sign(signing.privateKey, signing.kid, { iss: 'https://unknown.example' })
  }
}
let remembered: string[] = []
const refreshRemembered = () => {
  remembered = Array.from({ length: 200 }, () => token('valid'))
}
refreshRemembered()

type Kind = 'valid' | 'remembered' | 'expired' | 'forged' | 'made-up kid' | 'unknown issuer'
const MIX: [Kind, number][] = [
  ['valid', 0.35],
  ['remembered', 0.35],
  ['expired', 0.075],
  ['forged', 0.075],
  ['made-up kid', 0.075],
  ['unknown issuer', 0.075],
]
function pick(): Kind {
  let roll = Math.random()
  for (const [kind, weight] of MIX) if ((roll -= weight) < 0) return kind
  return 'valid'
}

// answers[framework][kind][status] for the whole run, and per minute for valid tokens.
const answers = new Map<string, Map<string, number>>()
const count = (framework: string, kind: Kind, status: number | string) => {
  const key = `${framework} ${kind}`
  const row = answers.get(key) ?? new Map<string, number>()
  row.set(String(status), (row.get(String(status)) ?? 0) + 1)
  answers.set(key, row)
}

type Framework = 'express' | 'koa' | 'fastify'
const FRAMEWORK_NAMES: Framework[] = ['express', 'koa', 'fastify']

const apps = await Promise.all(
  FRAMEWORK_NAMES.map(async (framework) => {
    const server = await oidcGuardServer(
      framework,
      { issuer: ISSUER, audience: AUDIENCE, jwksUri: `${ISSUER}/jwks` },
      { onWarning: () => {} },
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    return { framework, server, url: `http://127.0.0.1:${port}/orders` }
  }),
)

const started = Date.now()
const deadline = started + MINUTES * 60_000
let validOk = 0
let validTotal = 0
let unexpected = 0

async function worker(framework: Framework, url: string) {
  while (Date.now() < deadline) {
    const kind = pick()
    const expected = kind === 'valid' || kind === 'remembered' ? 200 : 401
    let status: number | string
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token(kind)}` },
        signal: AbortSignal.timeout(10_000),
      })
      await response.arrayBuffer()
      status = response.status
    } catch (error) {
      status = (error as Error).name
    }
    count(framework, kind, status)
    if (expected === 200) {
      validTotal += 1
      if (status === 200) validOk += 1
    }
    if (status !== expected) unexpected += 1
    await sleep(PAUSE_MS)
  }
}

// The provider's schedule, each minute: JWKS down :15–:25; new key at :40; old key gone at :55.
async function schedule() {
  for (let minute = 0; minute < MINUTES; minute++) {
    const at = (second: number) => started + minute * 60_000 + second * 1000
    const until = async (time: number) => {
      while (Date.now() < Math.min(time, deadline)) await sleep(Math.min(250, time - Date.now()))
    }
    await until(at(15))
    provider.up = false
    await until(at(25))
    provider.up = true
    await until(at(40))
    const next = newKey()
    provider.keys = [next, signing]
    signing = next
    refreshRemembered()
    await until(at(55))
    provider.keys = [signing]
    await until(at(60))
  }
}

// Samples every 10 s: memory, event-loop delay, fetches, valid-token success.
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
const samples: string[] = []
let lastFetches = 0
let lastValid = { ok: 0, total: 0 }
async function sampler() {
  while (Date.now() < deadline) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, deadline - Date.now())))
    const { rss, heapUsed } = process.memoryUsage()
    const seconds = Math.round((Date.now() - started) / 1000)
    const fetches = provider.fetches - lastFetches
    const ok = validOk - lastValid.ok
    const total = validTotal - lastValid.total
    samples.push(
      `| ${seconds} | ${(rss / 2 ** 20).toFixed(1)} | ${(heapUsed / 2 ** 20).toFixed(1)} | ${(delay.percentile(99) / 1e6).toFixed(1)} | ${fetches} | ${total} | ${total ? ((ok / total) * 100).toFixed(2) : '-'}% |`,
    )
    log(samples.at(-1) as string)
    lastFetches = provider.fetches
    lastValid = { ok: validOk, total: validTotal }
    delay.reset()
  }
}

log(`Soak: ${MINUTES} min, ${WORKERS} workers per framework, ${PAUSE_MS} ms pause`)
log('| s | RSS MiB | heap MiB | ELD p99 ms | JWKS fetches | valid requests | valid ok |')
await Promise.all([
  schedule(),
  sampler(),
  ...apps.flatMap(({ framework, url }) =>
    Array.from({ length: WORKERS }, () => worker(framework, url)),
  ),
])
for (const { server } of apps) await new Promise((resolve) => server.close(resolve))
await new Promise<void>((resolve) => idp.close(() => resolve()))

const statuses = [...new Set([...answers.values()].flatMap((row) => [...row.keys()]))].sort()
const report = [
  '## Soak',
  '',
  `- Command: \`npx tsx bench/soak.ts --minutes ${MINUTES}\` (${WORKERS} client workers per framework, ${PAUSE_MS} ms between requests; apps and client in one process)`,
  `- Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString()}`,
  '- Provider: JWKS down :15–:25 each minute; a new key published and used at :40, the old one withdrawn at :55.',
  '',
  '| t (s) | RSS MiB | heap used MiB | event-loop delay p99 ms | JWKS fetches | valid requests | valid ok |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...samples,
  '',
  `Valid tokens accepted: ${validOk} / ${validTotal} (${((validOk / Math.max(1, validTotal)) * 100).toFixed(3)}%). Answers other than expected (200 for valid, 401 for the rest): ${unexpected}. JWKS fetches in all: ${provider.fetches}.`,
  '',
  `| framework, token | ${statuses.join(' | ')} |`,
  `| --- | ${statuses.map(() => '---:').join(' | ')} |`,
  ...[...answers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, row]) => `| ${key} | ${statuses.map((s) => row.get(s) ?? 0).join(' | ')} |`),
  '',
].join('\n')
if (values.out) writeFileSync(values.out, `${report}\n`)
process.stdout.write(`${report}\n`)
