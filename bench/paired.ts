/**
 * `npm run bench:paired [-- options]`: the cached path of oidc-guard against the floor, and the
 * price of OpenTelemetry and of a denylist on it, measured so that a 3–5% difference stands out
 * of this shared machine's noise. Writes bench/RESULTS-paired.md.
 *
 *   --frameworks express,fastify,koa   --modes same,pool   --windows 2   --batches 1
 *   --lead-in-windows 1
 *   --replicas 8 --seconds 1.5 --connections 32 --out bench/RESULTS-paired.md
 *
 * Why not `npm run bench`: it loads one server after another, and on this VM the same server's
 * CPU per request moves by 20–30% from one second to the next (neighbours), and one process in
 * five or so runs ~30% slower than its identical siblings for its whole life (placement). Its
 * ratios swing ±15% from run to run. This bench instead:
 * - runs `replicas` fresh processes per contender, all at once, pinned to CPU 1 (autocannon on
 *   CPU 0), every one under load, and gives CPU 1 to one process at a time in 40 ms turns (the
 *   others stopped with SIGSTOP): each serves alone, as in production, and the machine's drift
 *   falls on every contender within the same second;
 * - takes, per window, the median of each contender's replicas (a slow process does not move
 *   it) and compares medians within the window; the A/A row compares two halves of the floor's
 *   replicas, which is what the method itself can resolve;
 * - runs `--lead-in-windows` windows per mode after the warm-up and discards them: the steady
 *   state is what is compared, not the JIT's last compilations (Node 24);
 * - with `--batches N`, does all of that N times with fresh processes: a process keeps the speed
 *   its start gave it (JIT and GC state, placement), ±10% between identical Express processes on
 *   Node 20, so the processes, not the windows, are the sample that matters. Each batch is one
 *   independent measurement of every ratio; the report gives their mean and its 95% interval;
 * - measures server CPU time per request (every thread, from the scheduler's nanosecond count):
 *   on a saturated CPU, throughput is its inverse (when the load generator sets the pace, a
 *   server that waits does fewer requests per wake-up: every contender alike).
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { startRedis } from '../src/testing/redis-server.js'
import { DENYLIST_ENTRIES, type ContenderName } from './contenders.js'
import { loadFixtures, startJwksHost } from './fixtures.js'
import { load, ordersLoad, startContender, type TokenMode } from './http.js'
import { mean, meanInterval, median } from './stats.js'

const { values } = parseArgs({
  options: {
    frameworks: { type: 'string', default: 'express,fastify,koa' },
    modes: { type: 'string', default: 'same,pool' },
    windows: { type: 'string', default: '2' },
    batches: { type: 'string', default: '1' },
    'lead-in-windows': { type: 'string', default: '1' },
    replicas: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '1.5' },
    connections: { type: 'string', default: '32' },
    // A subset, e.g. `floor,oidc-guard` for issue 10 alone (more replicas in the same time).
    contenders: { type: 'string' },
    out: { type: 'string', default: 'bench/RESULTS-paired.md' },
  },
})
type Framework = 'express' | 'fastify' | 'koa'
const frameworks = (values.frameworks as string).split(',') as Framework[]
const modes = (values.modes as string).split(',') as TokenMode[]
const windowsPerMode = Number(values.windows)
const batches = Number(values.batches)
const leadInWindows = Number(values['lead-in-windows'])
const replicas = Number(values.replicas)
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const log = (line: string) => process.stderr.write(`${line}\n`)

// The contenders of one framework, by the short name the tables use.
const CONTENDERS = {
  floor: 'floor: Map cache',
  'oidc-guard': 'oidc-guard',
  '+ OTel': 'oidc-guard + OTel',
  '+ denylist': 'oidc-guard + denylist',
  '+ Redis denylist': 'oidc-guard + Redis denylist',
} as const
type Short = keyof typeof CONTENDERS

// The contenders this run starts: the floor always (the A/A row and every chain of ratios lead
// back to it), then those asked for, in the table's order.
const chosen: readonly Short[] = (() => {
  const all = Object.keys(CONTENDERS) as Short[]
  if (values.contenders === undefined) return all
  const asked = values.contenders.split(',').map((name) => name.trim())
  const unknown = asked.filter((name) => !all.includes(name as Short))
  if (unknown.length > 0)
    throw new Error(`--contenders: unknown ${unknown.join(', ')}; known: ${all.join(', ')}`)
  return all.filter((short) => short === 'floor' || asked.includes(short))
})()

const entries = DENYLIST_ENTRIES.toLocaleString('en')

// What the report says of each contender that needs saying; only those that ran are described.
const CONTENDER_NOTES: Partial<Record<Short, string>> = {
  floor:
    'The floor: authenticate + scope guard written the least costly way (a `Map` keyed by the raw token, scopes in a `Set`, no bounds, no events; bench/contenders.ts).',
  '+ OTel':
    '"+ OTel": oidc-guard/otel over the OpenTelemetry SDK with exporters that drop everything, metrics collected every 100 ms (bench/otel-sdk.ts).',
  '+ denylist': `"+ denylist": ${entries} entries of every kind (7,000 jti, 2,000 sub, 900 sid, 100 clients), none matching.`,
  '+ Redis denylist':
    '"+ Redis denylist": the same entries, fed by a real redis-server through `oidc-guard/redis`, so its request path reads the same in-memory view, with no Redis round trip.',
}

/** A row of the ratio table: the reference's CPU per request over the subject's (≈ req/s ratio). */
interface Comparison {
  readonly row: string
  readonly subject: Short
  readonly reference: Short
  readonly target?: number
}

const ALL_COMPARISONS: readonly Comparison[] = [
  {
    row: '**oidc-guard ÷ floor** (issue 10)',
    subject: 'oidc-guard',
    reference: 'floor',
    target: 0.97,
  },
  {
    row: '**+ OTel ÷ oidc-guard** (issue 15)',
    subject: '+ OTel',
    reference: 'oidc-guard',
    target: 0.95,
  },
  {
    row: `**+ denylist, memory, ${entries} entries ÷ oidc-guard** (issue 12)`,
    subject: '+ denylist',
    reference: 'oidc-guard',
    target: 0.95,
  },
  {
    row: `**+ denylist, Redis, ${entries} entries ÷ oidc-guard** (issue 12)`,
    subject: '+ Redis denylist',
    reference: 'oidc-guard',
    target: 0.95,
  },
]

// Only the rows whose two contenders run.
const COMPARISONS = ALL_COMPARISONS.filter(
  ({ subject, reference }) => chosen.includes(subject) && chosen.includes(reference),
)

interface Server {
  readonly short: Short
  readonly replica: number
  readonly child: ChildProcess
  readonly port: number
}

/** One process's window: server CPU µs per request, requests per CPU second, failures. */
interface Window {
  readonly cpuPerRequest: number
  /** Requests per second of the server's own CPU time: its throughput with a CPU to itself. */
  readonly rps: number
  readonly failures: number
}

// Pins a process (all its threads; threads made later inherit it) to one CPU, when taskset exists.
function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function shuffled<T>(list: readonly T[]): T[] {
  const copy = [...list]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}

// Each server runs alone for one turn, then the next (the others stopped with SIGSTOP): every
// server has CPU 1 to itself, as in production, and turns are short enough that the machine's
// drift hits every contender alike. All of them are under load throughout; a stopped server's
// requests wait in its sockets.
const TURN_MS = 40

// CPU time of every thread of a process, in µs, from the scheduler's own nanosecond count (a
// stopped process cannot answer over IPC). A thread that ends between two readings takes its
// time with it; Node's threads live as long as the process.
function cpuTime(pid: number): number {
  let total = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return total / 1000
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Loads every server for one window (`seconds` of turns each) and returns each one's server CPU
 * per request, and the share of the window CPU 1 spent in the servers.
 */
async function window(
  servers: Server[],
  tokens: string[],
): Promise<{ windows: Window[]; busy: number }> {
  const pids = servers.map(({ child }) => child.pid as number)
  const answered = servers.map(() => 0)
  const failed = servers.map(() => 0)
  const count = (index: number, failure: boolean) => {
    answered[index] = (answered[index] as number) + (failure ? 0 : 1)
    if (failure) failed[index] = (failed[index] as number) + 1
  }
  const loads = servers.map(({ port }, index) => {
    const instance = autocannon(ordersLoad(port, tokens, connections, { duration: 3600 }), () => {})
    instance.on('response', (_client: unknown, status: number) => count(index, status !== 200))
    instance.on('reqError', () => count(index, true))
    return instance
  })
  let turn = 0
  let conductor: NodeJS.Timeout | undefined
  try {
    for (const pid of pids.slice(1)) signal(pid, 'SIGSTOP')
    conductor = setInterval(() => {
      signal(pids[turn % pids.length] as number, 'SIGSTOP')
      turn += 1
      signal(pids[turn % pids.length] as number, 'SIGCONT')
    }, TURN_MS)
    // A lead-in of two rounds of turns, not measured: every connection open and waiting.
    await pause(2 * TURN_MS * servers.length)
    const cpuBefore = pids.map(cpuTime)
    const answeredBefore = answered.slice()
    const failedBefore = failed.slice()
    const started = performance.now()
    await pause(seconds * 1000 * servers.length)
    const elapsed = (performance.now() - started) * 1000
    const cpuAfter = pids.map(cpuTime)
    let used = 0
    const windows = servers.map((_, index) => {
      const cpu = (cpuAfter[index] as number) - (cpuBefore[index] as number)
      const requests = (answered[index] as number) - (answeredBefore[index] as number)
      used += cpu
      return {
        cpuPerRequest: cpu / Math.max(1, requests),
        rps: (requests * 1e6) / cpu,
        failures: (failed[index] as number) - (failedBefore[index] as number),
      }
    })
    return { windows, busy: used / elapsed }
  } finally {
    clearInterval(conductor)
    for (const pid of pids) signal(pid, 'SIGCONT')
    for (const instance of loads) instance.stop()
  }
}

// A server that has exited cannot be stopped or resumed: that must not stop the others' turns.
function signal(pid: number, name: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, name)
  } catch {
    // Gone already (ESRCH).
  }
}

interface Samples {
  /** Per mode, per contender: every process's windows. */
  readonly windows: Map<TokenMode, Map<Short, Window[]>>
  /** Per mode, per comparison: one ratio of medians per window. */
  readonly ratios: Map<TokenMode, Map<string, number[]>>
  /** Per mode, per window: the CPU/req median of the floor's even replicas ÷ its odd ones'. */
  readonly aa: Map<TokenMode, number[]>
  readonly busy: Map<TokenMode, number[]>
}

// A process this much slower than its contender's median in the same window counts as slow.
const SLOW = 1.15

function emptySamples(): Samples {
  const samples: Samples = { windows: new Map(), ratios: new Map(), aa: new Map(), busy: new Map() }
  for (const mode of modes) {
    samples.windows.set(mode, new Map(chosen.map((short) => [short, []])))
    samples.ratios.set(mode, new Map(COMPARISONS.map(({ row }) => [row, []])))
    samples.aa.set(mode, [])
    samples.busy.set(mode, [])
  }
  return samples
}

/**
 * One batch: fresh processes of every contender, warmed, then `windowsPerMode` windows per token
 * mode, appended to `samples` (a batch's windows follow the previous batch's). False when the
 * servers could not be pinned.
 */
async function benchBatch(
  framework: Framework,
  batch: number,
  tokensFor: Record<TokenMode, string[]>,
  redisUrl: string | undefined,
  samples: Samples,
): Promise<boolean> {
  let pinned = true
  const plan = shuffled(
    chosen.flatMap((short) =>
      Array.from({ length: replicas }, (_, replica) => ({ short, replica })),
    ),
  )
  const servers: Server[] = []
  try {
    // Started together, then pinned to CPU 1; `servers` keeps the random order of `plan`. Every
    // server that started is kept (and stopped in `finally`), even when another one failed.
    const children = await Promise.allSettled(
      plan.map(({ short }) =>
        startContender(`${framework} ${CONTENDERS[short]}` as ContenderName, redisUrl),
      ),
    )
    plan.forEach(({ short, replica }, index) => {
      const started = children[index] as (typeof children)[number]
      if (started.status === 'rejected') return
      const { child, port } = started.value
      pinned = pin(child.pid as number, 1) && pinned
      servers.push({ short, replica, child, port })
    })
    const failure = children.find((started) => started.status === 'rejected')
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason
    // Every token of the pool remembered (the `same` token is one of them), keys fetched, JIT
    // warm: the pool and 2,000 more requests, to each server.
    await Promise.all(
      servers.map(({ port }) =>
        load(port, tokensFor.pool, 0, connections, tokensFor.pool.length + 2_000),
      ),
    )
    // Then windows run and discarded: on Node 24 the first window after that warm-up still
    // costs both contenders 25-80% more (compilation on helper threads, whose CPU counts, and
    // code not yet optimized) and widens their gap, whichever token mode comes first.
    for (let lead = 0; lead < leadInWindows; lead++)
      for (const mode of modes) await window(servers, tokensFor[mode])
    for (let pass = 0; pass < windowsPerMode; pass++) {
      for (const mode of modes) {
        const { windows, busy } = await window(servers, tokensFor[mode])
        samples.busy.get(mode)?.push(busy)
        const byContender = samples.windows.get(mode) as Map<Short, Window[]>
        const cpuOf = new Map<Short, number[]>(chosen.map((short) => [short, []]))
        const floorHalves: [number[], number[]] = [[], []]
        servers.forEach(({ short, replica }, index) => {
          const measured = windows[index] as Window
          byContender.get(short)?.push(measured)
          cpuOf.get(short)?.push(measured.cpuPerRequest)
          if (short === 'floor') floorHalves[replica % 2]?.push(measured.cpuPerRequest)
        })
        samples.aa.get(mode)?.push(median(floorHalves[0]) / median(floorHalves[1]))
        const ratios = samples.ratios.get(mode) as Map<string, number[]>
        for (const { row, subject, reference } of COMPARISONS) {
          ratios
            .get(row)
            ?.push(median(cpuOf.get(reference) ?? []) / median(cpuOf.get(subject) ?? []))
        }
        log(
          `  ${framework} ${mode} batch ${batch + 1}/${batches}, window ${pass + 1}/${windowsPerMode} (CPU busy ${busy.toFixed(2)}): A/A ${(samples.aa.get(mode)?.at(-1) ?? 0).toFixed(3)}, ${COMPARISONS.map(
            (c) => `${c.subject} ÷ ${c.reference} ${(ratios.get(c.row)?.at(-1) ?? 0).toFixed(3)}`,
          ).join(', ')}`,
        )
        // Every process's figure, sorted: a bimodal list shows processes in a slow mode.
        for (const [short, list] of cpuOf)
          log(
            `    ${short}: ${[...list]
              .sort((a, b) => a - b)
              .map((v) => v.toFixed(1))
              .join(' ')}`,
          )
      }
    }
  } finally {
    for (const { child } of servers) {
      signal(child.pid as number, 'SIGCONT')
      child.kill()
    }
  }
  return pinned
}

function tables(framework: Framework, samples: Samples): string {
  const out: string[] = []
  for (const mode of modes) {
    const windows = samples.windows.get(mode) as Map<Short, Window[]>
    const ratios = samples.ratios.get(mode) as Map<string, number[]>
    const busy = samples.busy.get(mode) as number[]
    out.push(
      `### ${framework}, token mode \`${mode}\` (${mode === 'same' ? '1 token' : 'a pool of 2,000 tokens, all remembered'})`,
      '',
      `CPU 1 was busy in the servers ${(median(busy) * 100).toFixed(0)}% of each window (median).`,
      '',
      `| contender | server CPU µs/req (median of ${replicas} processes × ${windowsPerMode} windows${batches > 1 ? ` × ${batches} batches` : ''}) | req/s of server CPU | slow processes (> ${SLOW}× the median) | failed (not 200, or no answer) |`,
      '| --- | ---: | ---: | ---: | ---: |',
    )
    for (const [short, list] of windows) {
      const typical = median(list.map((w) => w.cpuPerRequest))
      // Slow against its siblings of the same window (the list holds one window after another).
      let slow = 0
      for (let start = 0; start < list.length; start += replicas) {
        const window = list.slice(start, start + replicas).map((w) => w.cpuPerRequest)
        const middle = median(window)
        slow += window.filter((cpu) => cpu > SLOW * middle).length
      }
      out.push(
        `| ${short} | ${typical.toFixed(1)} | ${(1e6 / typical).toFixed(0)} | ${slow} of ${list.length} | ${list.reduce((sum, w) => sum + w.failures, 0)} |`,
      )
    }
    // Windows of one batch share their processes, so the interval is over batches' means.
    const cell = (list: number[]) => {
      const perBatch = Array.from({ length: batches }, (_, batch) =>
        list.slice(batch * windowsPerMode, (batch + 1) * windowsPerMode),
      )
      const { mean: overall, halfWidth } = meanInterval(perBatch.map(mean))
      const interval = Number.isNaN(halfWidth)
        ? '–'
        : `${(overall - halfWidth).toFixed(3)}–${(overall + halfWidth).toFixed(3)}`
      const each = perBatch.map((windows) => windows.map((value) => value.toFixed(3)).join(', '))
      return `${overall.toFixed(3)} | ${interval} | ${batches > 1 ? each.map((w) => `(${w})`).join(' ') : each[0]}`
    }
    out.push(
      '',
      "| ratio of medians (CPU/req of the reference ÷ the subject's ≈ req/s of the subject ÷ the reference) | mean | 95% interval of the mean (over batches) | each window (by batch) | target |",
      '| --- | ---: | ---: | ---: | ---: |',
      `| A/A: the floor's odd replicas ÷ its even ones (what the method resolves) | ${cell(samples.aa.get(mode) as number[])} | – |`,
    )
    for (const { row, target } of COMPARISONS)
      out.push(
        `| ${row} | ${cell(ratios.get(row) as number[])} | ${target === undefined ? '–' : `≥ ${target}`} |`,
      )
    out.push('')
  }
  return out.join('\n')
}

const command = `npm run bench:paired${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
let pinned = pin(process.pid, 0)
const fixtures = loadFixtures()
const tokensFor: Record<TokenMode, string[]> = {
  same: [fixtures.same],
  pool: fixtures.pool,
  unique: fixtures.unique,
}
const host = await startJwksHost([fixtures.publicJwk])
// A redis-server only for the contender that needs one.
const redis = chosen.includes('+ Redis denylist') ? await startRedis() : undefined
const sections: string[] = []
const startedAt = Date.now()
try {
  for (const framework of frameworks) {
    log(`${framework}…`)
    const samples = emptySamples()
    for (let batch = 0; batch < batches; batch++)
      pinned = (await benchBatch(framework, batch, tokensFor, redis?.url, samples)) && pinned
    sections.push(tables(framework, samples))
  }
} finally {
  await redis?.close()
  await host.close()
}

// The title names only what ran (a `--contenders oidc-guard` run measures no OTel or denylist).
const title = [
  'oidc-guard against the floor',
  ...(chosen.includes('+ OTel') ? ['with OpenTelemetry'] : []),
  ...(chosen.some((short) => short.includes('denylist')) ? ['with a denylist'] : []),
].join(', ')

const report = [
  `# The cached path, side by side: ${title}`,
  '',
  `- Command: \`${command}\` (${((Date.now() - startedAt) / 60_000).toFixed(1)} min)`,
  `- Date: ${new Date().toISOString()}`,
  `- Node ${process.version}, Linux ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, a shared VM; ${pinned ? 'servers pinned to CPU 1, autocannon to CPU 0 (taskset)' : 'not pinned (taskset unavailable)'}.`,
  `- Per framework${batches > 1 ? `, ${batches} batches one after another, each of` : ','} ${replicas} fresh processes per contender (${replicas * chosen.length} servers, started in a random order), each sent the pool of 2,000 tokens and 2,000 more requests${leadInWindows > 0 ? `, then ${leadInWindows} window(s) per token mode run and discarded (the JIT's last compilations)` : ''}. Then ${windowsPerMode} measured window(s) per token mode: all servers under load at once (${connections} connections each, GET /orders, RS256 token, scope orders:read) while CPU 1 goes to one server at a time in turns of ${TURN_MS} ms (the others stopped with SIGSTOP); two rounds of turns as a lead-in, then ${seconds} s of turns per server, measured: server CPU time of every thread (/proc/<pid>/task/*/schedstat) over requests answered (autocannon). Per window, each contender's median over its processes; a ratio compares two medians of the same window.${batches > 1 ? " A batch's windows share its processes, so the interval is Student's t over the batches' means (each batch one independent draw of processes)." : ''}`,
  `- ${chosen.flatMap((short) => CONTENDER_NOTES[short] ?? []).join(' ')}`,
  `- ${process.env.BENCH_TICK_HOLD === '0' ? "BENCH_TICK_HOLD=0: only oidc-guard's processes hold a nextTick tick object (as it does from its first authenticator); the floor's and the bare framework's are left to chance (bench/FLOOR-GAP.md section 9)." : "Every server process holds one nextTick tick object, as oidc-guard does from its first authenticator (bench/server.ts, bench/FLOOR-GAP.md section 9), so that none runs Node's nextTick off V8's fast path by chance."}`,
  '',
  ...sections,
].join('\n')
if (values.out === '-') process.stdout.write(`${report}\n`)
else {
  writeFileSync(values.out as string, `${report}\n`)
  process.stdout.write(`${report}\n\nWritten to ${values.out}\n`)
}
