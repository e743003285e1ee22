/**
 * HTTP benchmark: each contender in a child process, autocannon in this one. Runs alternate
 * between contenders (to cancel drift); each cell is the median of the runs.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { CONTENDERS, type ContenderName } from './contenders.js'
import { AUDIENCE, ISSUER, JWKS_URI, POOL_SIZE, type Fixtures } from './fixtures.js'
import { median } from './stats.js'

export type TokenMode = 'same' | 'pool' | 'unique'

interface Sample {
  rps: number
  p50: number
  p99: number
  cpuPerRequest: number
  non2xx: number
}

interface ChildReport {
  port?: number
  ports?: number[]
  cpu?: NodeJS.CpuUsage
}

export function ask(child: ChildProcess, message: string): Promise<ChildReport> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as ChildReport))
    child.send(message)
  })
}

/**
 * One contender in its own process (or several, joined by '|': bench/server.ts), loading oidc-guard from dist/ (bench/tsconfig.dist.json says
 * why), so `npm run bench` builds first.
 */
// Extra node flags for every server (e.g. BENCH_NODE_ARGS='--max-semi-space-size=16').
const BENCH_NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []

export async function startContender(
  name: ContenderName,
  redisUrl?: string,
): Promise<{ child: ChildProcess; port: number; ports: number[] }> {
  const child = fork(
    fileURLToPath(new URL('./server.ts', import.meta.url)),
    [name, ISSUER, JWKS_URI, AUDIENCE, ...(redisUrl === undefined ? [] : [redisUrl])],
    {
      execArgv: [...BENCH_NODE_ARGS, '--import', 'tsx'],
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: fileURLToPath(new URL('./tsconfig.dist.json', import.meta.url)),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  )
  // A server that fails to start (its error is on stderr) fails the bench instead of hanging it.
  const ready = await new Promise<ChildReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ChildReport))
    child.once('exit', (code) => reject(new Error(`${name} exited while starting (${code})`)))
  })
  return { child, port: ready.port as number, ports: ready.ports ?? [ready.port as number] }
}

/**
 * autocannon's options for GET /orders on a port, each request with the next of `tokens` as its
 * bearer token; `extent` is `{ duration }` (seconds) or `{ amount }` (requests).
 */
export function ordersLoad(
  port: number,
  tokens: string[],
  connections: number,
  extent: { duration: number } | { amount: number },
): autocannon.Options {
  let next = 0
  return {
    url: `http://127.0.0.1:${port}/orders`,
    connections,
    ...extent,
    requests: [
      {
        method: 'GET',
        setupRequest(request) {
          const token = tokens[next++ % tokens.length]
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
        },
      },
    ],
  }
}

/** Loads GET /orders for `seconds`, or until `amount` requests when given, cycling `tokens`. */
export function load(
  port: number,
  tokens: string[],
  seconds: number,
  connections: number,
  amount?: number,
): Promise<autocannon.Result> {
  const extent = amount === undefined ? { duration: seconds } : { amount }
  return new Promise((resolve, reject) => {
    autocannon(ordersLoad(port, tokens, connections, extent), (error, result) =>
      error ? reject(error) : resolve(result),
    )
  })
}

async function measure(
  name: ContenderName,
  tokens: string[],
  seconds: number,
  connections: number,
): Promise<Sample> {
  const { child, port } = await startContender(name)
  try {
    // Warm-up (not counted): fetch keys, JIT the path. A pool is sent whole (2 s), so its window
    // measures the cached path with every token remembered; `unique` stays uncached.
    const warm = tokens.length <= POOL_SIZE ? tokens : tokens.slice(0, 200)
    await load(port, warm, warm.length > 200 ? 2 : 1, connections)
    const before = (await ask(child, 'cpu')).cpu as NodeJS.CpuUsage
    const result = await load(port, tokens, seconds, connections)
    const after = (await ask(child, 'cpu')).cpu as NodeJS.CpuUsage
    const cpu = after.user - before.user + (after.system - before.system)
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuPerRequest: cpu / Math.max(1, result.requests.total),
      non2xx: result.non2xx,
    }
  } finally {
    child.send('exit')
  }
}

export interface HttpOptions {
  runs: number
  seconds: number
  connections: number
  modes: TokenMode[]
  contenders: ContenderName[]
  log: (line: string) => void
}

/** Runs the matrix and returns markdown tables, one per token mode. */
export async function runHttpBench(fixtures: Fixtures, options: HttpOptions): Promise<string> {
  const tokensFor: Record<TokenMode, string[]> = {
    same: [fixtures.same],
    pool: fixtures.pool,
    unique: fixtures.unique,
  }
  const out: string[] = []
  for (const mode of options.modes) {
    const samples = new Map<ContenderName, Sample[]>()
    const ratios = new Map<ContenderName, number[]>()
    const floorRatios = new Map<ContenderName, number[]>()
    for (let run = 0; run < options.runs; run++) {
      const bare = new Map<string, number>()
      // The floor (bench/contenders.ts): the least a cached authenticate + scope guard can cost.
      const floor = new Map<string, number>()
      // Alternate the order every run so drift does not favour a contender.
      const order = run % 2 === 0 ? options.contenders : [...options.contenders].reverse()
      const runSamples = new Map<ContenderName, Sample>()
      for (const name of order) {
        const sample = await measure(name, tokensFor[mode], options.seconds, options.connections)
        runSamples.set(name, sample)
        samples.set(name, [...(samples.get(name) ?? []), sample])
        options.log(
          `  ${mode} run ${run + 1}: ${name}: ${sample.rps.toFixed(0)} req/s, ${sample.cpuPerRequest.toFixed(1)} µs CPU/req${sample.non2xx ? `, ${sample.non2xx} non-2xx!` : ''}`,
        )
        if (name.endsWith(' bare')) bare.set(CONTENDERS[name].framework, sample.rps)
        if (name.endsWith(' floor: Map cache')) floor.set(CONTENDERS[name].framework, sample.rps)
      }
      for (const [name, sample] of runSamples) {
        const base = bare.get(CONTENDERS[name].framework)
        if (base) ratios.set(name, [...(ratios.get(name) ?? []), sample.rps / base])
        const least = floor.get(CONTENDERS[name].framework)
        if (least) floorRatios.set(name, [...(floorRatios.get(name) ?? []), sample.rps / least])
      }
    }
    out.push(
      `### Token mode \`${mode}\` (${tokensFor[mode].length} distinct token${tokensFor[mode].length > 1 ? 's' : ''})`,
      '',
    )
    out.push(
      '| contender | req/s | p50 ms | p99 ms | server CPU µs/req | × bare (same run) | × floor (same run) | non-2xx |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    )
    for (const name of options.contenders) {
      const list = samples.get(name) ?? []
      const cell = (pick: (sample: Sample) => number, digits = 0) =>
        median(list.map(pick)).toFixed(digits)
      const ratio = ratios.get(name)
      const toFloor = floorRatios.get(name)
      out.push(
        `| ${name} | ${cell((s) => s.rps)} | ${cell((s) => s.p50, 1)} | ${cell((s) => s.p99, 1)} | ${cell((s) => s.cpuPerRequest, 1)} | ${ratio ? median(ratio).toFixed(2) : '–'} | ${toFloor ? median(toFloor).toFixed(2) : '–'} | ${list.reduce((sum, s) => sum + s.non2xx, 0)} |`,
      )
    }
    out.push('')
  }
  return out.join('\n')
}
