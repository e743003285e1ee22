/**
 * `npm run bench [-- options]`: runs the benchmark suites and writes bench/RESULTS.md.
 *
 *   --suites http,micro,storm,memory   which suites (default: all)
 *   --runs 3 --seconds 5               HTTP runs per cell and seconds per run
 *   --modes same,pool,unique           HTTP token modes
 *   --quick                            1 run of 2 s, fewer micro iterations (a smoke test)
 *   --out bench/RESULTS.md             where to write ('-' prints only)
 */
import { execSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { CONTENDERS, type ContenderName } from './contenders.js'
import { loadFixtures, startJwksHost } from './fixtures.js'
import { runHttpBench, type TokenMode } from './http.js'
import { runMemoryBench } from './memory.js'
import { runMicroBench } from './micro.js'
import { runStormBench } from './storm.js'

const { values } = parseArgs({
  options: {
    suites: { type: 'string', default: 'http,micro,storm,memory' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    modes: { type: 'string', default: 'same,pool,unique' },
    contenders: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/RESULTS.md' },
  },
})
const suites = new Set((values.suites as string).split(','))
const quick = values.quick as boolean
const log = (line: string) => process.stderr.write(`${line}\n`)

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
const cpu = cpus()[0]?.model ?? 'unknown CPU'
let kernel = ''
try {
  kernel = execSync('uname -sr').toString().trim()
} catch {}
const sections: string[] = [
  '# oidc-guard benchmark results',
  '',
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Node ${process.version}, ${kernel}, ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  '',
]

const fixtures = loadFixtures()
const host = await startJwksHost([fixtures.publicJwk])
try {
  if (suites.has('http')) {
    log('HTTP suite…')
    const contenders = (values.contenders?.split(',') ?? Object.keys(CONTENDERS)) as ContenderName[]
    sections.push(
      '## HTTP: GET /orders with a valid RS256 token (scope orders:read)',
      '',
      `Server in a child process, autocannon (${values.connections} connections) in the parent; ${quick ? 1 : values.runs} run(s) of ${quick ? 2 : values.seconds} s per cell, contenders alternating; cells are medians.`,
      '',
      await runHttpBench(fixtures, {
        runs: quick ? 1 : Number(values.runs),
        seconds: quick ? 2 : Number(values.seconds),
        connections: Number(values.connections),
        modes: (values.modes as string).split(',') as TokenMode[],
        contenders,
        log,
      }),
    )
  }
  if (suites.has('micro')) {
    log('Micro suite…')
    sections.push(await runMicroBench({ quick, log }))
  }
  if (suites.has('storm')) {
    log('Storm suite…')
    sections.push(await runStormBench(fixtures, host, { log }))
  }
  if (suites.has('memory')) {
    log('Memory suite…')
    sections.push(await runMemoryBench({ tokens: quick ? 100_000 : 1_000_000, log }))
  }
} finally {
  await host.close()
}

const report = sections.join('\n')
if (values.out === '-') process.stdout.write(`${report}\n`)
else {
  writeFileSync(values.out as string, `${report}\n`)
  process.stdout.write(`${report}\n\nWritten to ${values.out}\n`)
}
