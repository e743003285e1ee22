/**
 * `npx tsx bench/dpop.ts [--runs 3] [--seconds 5] [--connections 32] [--out bench/RESULTS-dpop.md]`
 *
 * DPoP (RFC 9449) at the resource server, on one machine, one token mix: 200 clients, each with
 * its own ES256 key and RS256 access token bound to it (`cnf.jkt`); every request carries a
 * fresh proof (new `jti`, `ath` of its token). Contenders, each in a child process with
 * autocannon in this one: oidc-guard and express-oauth2-jwt-bearer (DPoP enabled) on Express,
 * with DPoP and with the same tokens unbound as Bearer. Then, in this process: the cost of the
 * proof check over a cached bearer request, next to one raw ES256 and EdDSA verification.
 */
import { fork, type ChildProcess } from 'node:child_process'
import {
  createHash,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { createAuthenticator } from '../src/index.js'
import { AUDIENCE, claimsFor, ISSUER, signToken, startJwksHost } from './fixtures.js'
import { median } from './stats.js'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    out: { type: 'string', default: 'bench/RESULTS-dpop.md' },
  },
})
const RUNS = Number(values.runs)
const SECONDS = Number(values.seconds)
const CONNECTIONS = Number(values.connections)
const CLIENTS = 200
const log = (line: string) => process.stderr.write(`${line}\n`)

// --- The token mix -------------------------------------------------------------------------

interface Client {
  readonly key: KeyObject
  readonly jwkSegment: Record<string, unknown>
  readonly bound: string
  readonly ath: string
  readonly bearer: string
}

const { privateKey: issuerKey, publicKey: issuerPublic } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
})
const jwks = [
  { ...issuerPublic.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' },
]
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const thumbprint = (jwk: Record<string, unknown>) =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url')

const clients: Client[] = Array.from({ length: CLIENTS }, (_, index) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>
  const bound = signToken(issuerKey, { ...claimsFor(index), cnf: { jkt: thumbprint(jwk) } })
  return {
    key: privateKey,
    jwkSegment: jwk,
    bound,
    ath: createHash('sha256').update(bound).digest('base64url'),
    bearer: signToken(issuerKey, claimsFor(index + CLIENTS)),
  }
})

function proof(client: Client, htu: string): string {
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: client.jwkSegment })
  const payload = b64({
    htm: 'GET',
    htu,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ath: client.ath,
  })
  const input = `${header}.${payload}`
  const signature = sign('sha256', Buffer.from(input), {
    key: client.key,
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${signature.toString('base64url')}`
}

/**
 * The headers of request `index`: a proof made now (so its `iat` is fresh however long the run),
 * for the client whose turn it is. Making it costs this process, not the server.
 */
function headersFor(dpop: boolean, htu: string, index: number): Record<string, string> {
  const client = clients[index % CLIENTS] as Client
  return dpop
    ? { authorization: `DPoP ${client.bound}`, dpop: proof(client, htu) }
    : { authorization: `Bearer ${client.bearer}` }
}

// --- HTTP ----------------------------------------------------------------------------------

type Contender = 'oidc-guard' | 'express-oauth2-jwt-bearer'
interface Sample {
  rps: number
  p99: number
  cpuPerRequest: number
  non2xx: number
}

function ask(child: ChildProcess, message: string): Promise<{ cpu?: NodeJS.CpuUsage }> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as { cpu?: NodeJS.CpuUsage }))
    child.send(message)
  })
}

function load(port: number, dpop: boolean, htu: string, seconds: number) {
  let next = 0
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}/orders`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, ...headersFor(dpop, htu, next++) },
            }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

async function measure(contender: Contender, dpop: boolean): Promise<Sample> {
  const child = fork(
    fileURLToPath(new URL('./dpop-server.ts', import.meta.url)),
    [contender, ISSUER, AUDIENCE],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  )
  try {
    const { port } = await new Promise<{ port: number }>((resolve) =>
      child.once('message', (message) => resolve(message as { port: number })),
    )
    const htu = `http://127.0.0.1:${port}/orders`
    // Warm-up (keys fetched, tokens cached, JIT): not counted.
    await load(port, dpop, htu, 2)
    const before = (await ask(child, 'cpu')).cpu as NodeJS.CpuUsage
    const result = await load(port, dpop, htu, SECONDS)
    const after = (await ask(child, 'cpu')).cpu as NodeJS.CpuUsage
    const cpu = after.user - before.user + (after.system - before.system)
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      cpuPerRequest: cpu / Math.max(1, result.requests.total),
      non2xx: result.non2xx,
    }
  } finally {
    child.send('exit')
  }
}

// --- In process: the proof check alone ------------------------------------------------------

function rawVerifyMicros(): { es256: number; eddsa: number } {
  const data = Buffer.from('x'.repeat(600))
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const esSig = sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
  const edSig = sign(null, data, ed.privateKey)
  // CPU time, like the other figures, so other load on the machine does not inflate it.
  const time = (fn: () => void, n = 5000) => {
    for (let i = 0; i < 500; i++) fn()
    const before = process.cpuUsage()
    for (let i = 0; i < n; i++) fn()
    const used = process.cpuUsage(before)
    return (used.user + used.system) / n
  }
  return {
    es256: time(() =>
      verify('sha256', data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, esSig),
    ),
    eddsa: time(() => verify(null, data, ed.publicKey, edSig)),
  }
}

/** CPU µs per authenticate() call, 64 in flight, after the token is cached. */
async function inProcessMicros(dpop: boolean): Promise<number> {
  const authenticator = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, dpop: {} })
  const htu = 'http://api.bench/orders'
  const make = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      method: 'GET',
      originalUrl: '/orders',
      headers: { host: 'api.bench', ...headersFor(dpop, htu, index) },
    }))
  for (const request of make(2 * CLIENTS)) await authenticator.authenticate(request)
  const requests = make(5_000)
  const before = process.cpuUsage()
  for (let i = 0; i < requests.length; i += 64) {
    await Promise.all(
      requests.slice(i, i + 64).map((request) => authenticator.authenticate(request)),
    )
  }
  const used = process.cpuUsage(before)
  authenticator.close()
  return (used.user + used.system) / requests.length
}

// --- Run -----------------------------------------------------------------------------------

const host = await startJwksHost(jwks)
try {
  const cells: [Contender, boolean][] = [
    ['oidc-guard', false],
    ['oidc-guard', true],
    ['express-oauth2-jwt-bearer', false],
    ['express-oauth2-jwt-bearer', true],
  ]
  const samples = new Map<string, Sample[]>()
  for (let run = 0; run < RUNS; run++) {
    for (const [contender, dpop] of run % 2 === 0 ? cells : [...cells].reverse()) {
      const key = `${contender} ${dpop ? 'DPoP' : 'Bearer'}`
      const sample = await measure(contender, dpop)
      samples.set(key, [...(samples.get(key) ?? []), sample])
      log(
        `run ${run + 1}: ${key}: ${sample.rps.toFixed(0)} req/s, ${sample.cpuPerRequest.toFixed(1)} µs CPU/req, ${sample.non2xx} non-2xx`,
      )
    }
  }
  const raw = rawVerifyMicros()
  const bearerMicros = median([
    await inProcessMicros(false),
    await inProcessMicros(false),
    await inProcessMicros(false),
  ])
  const dpopMicros = median([
    await inProcessMicros(true),
    await inProcessMicros(true),
    await inProcessMicros(true),
  ])
  log(
    `in process: bearer ${bearerMicros.toFixed(1)} µs, DPoP ${dpopMicros.toFixed(1)} µs, raw ES256 ${raw.es256.toFixed(1)} µs, EdDSA ${raw.eddsa.toFixed(1)} µs`,
  )

  const lines = [
    '# DPoP benchmark (RFC 9449)',
    '',
    `- Command: \`npx tsx bench/dpop.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Node ${process.version}, ${process.platform} ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Load average when it ended: ${loadavg()
      .map((load) => load.toFixed(1))
      .join(
        ', ',
      )} (other work on the machine slows every contender alike; compare rows of one run)`,
    `- Token mix: ${CLIENTS} clients, each an ES256 DPoP key and an RS256 access token bound to it; every request a fresh proof. Bearer rows: the same number of unbound tokens.`,
    `- Express 5, server in a child process, autocannon (${CONNECTIONS} connections) here; ${RUNS} run(s) of ${SECONDS} s per cell, order alternating; medians.`,
    '',
    '## HTTP: GET /orders (scope orders:read)',
    '',
    '| contender | scheme | req/s | p99 ms | server CPU µs/req | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const [contender, dpop] of cells) {
    const list = samples.get(`${contender} ${dpop ? 'DPoP' : 'Bearer'}`) ?? []
    const cell = (pick: (sample: Sample) => number, digits = 0) =>
      median(list.map(pick)).toFixed(digits)
    lines.push(
      `| ${contender} | ${dpop ? 'DPoP' : 'Bearer'} | ${cell((s) => s.rps)} | ${cell((s) => s.p99, 1)} | ${cell((s) => s.cpuPerRequest, 1)} | ${list.reduce((sum, s) => sum + s.non2xx, 0)} |`,
    )
  }
  lines.push(
    '',
    '## In process: what the proof check costs',
    '',
    'CPU per `authenticate()` with 64 calls in flight, the access token already in the verified-token cache (median of 3 × 5,000), next to one raw node:crypto verification (sync, 5,000).',
    '',
    '| measure | CPU µs |',
    '| --- | ---: |',
    `| cached Bearer request | ${bearerMicros.toFixed(1)} |`,
    `| cached token + DPoP proof check | ${dpopMicros.toFixed(1)} |`,
    `| cost of the proof check (difference) | ${(dpopMicros - bearerMicros).toFixed(1)} |`,
    `| one raw ES256 verification | ${raw.es256.toFixed(1)} |`,
    `| one raw EdDSA (Ed25519) verification | ${raw.eddsa.toFixed(1)} |`,
    '',
  )
  const text = lines.join('\n')
  if (values.out === '-') process.stdout.write(text)
  else writeFileSync(values.out as string, text)
  log(text)
} finally {
  await host.close()
}
