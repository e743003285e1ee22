/**
 * One contender (or several), in its own process: the load generator runs in the parent, so the
 * server's CPU time is its own. Reports its ports, and its CPU usage on request, over IPC.
 */
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { holdTickObjectShape } from '../src/authenticator/tick-object-shape.js'
import { CONTENDERS, type ContenderName } from './contenders.js'

// Every server holds one nextTick tick object, as oidc-guard does from its first authenticator
// (src/authenticator/tick-object-shape.ts): left to chance, whether a process's nextTick stays
// on V8's fast path depends on when its collections ran (5-8 us per Fastify request), and a
// comparison would measure that luck rather than the contenders' code. BENCH_TICK_HOLD=0 leaves
// it to each contender (only oidc-guard's processes then hold one), as a user's process runs.
if (process.env.BENCH_TICK_HOLD !== '0') holdTickObjectShape()

const [names, issuer, jwksUri, audience, redisUrl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
]
// One contender, or several joined by '|' (one process serving several ports).
const ports: number[] = []
for (const name of names.split('|') as ContenderName[]) {
  const server = await CONTENDERS[name].build({ issuer, jwksUri, audience, redisUrl })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  ports.push((server.address() as AddressInfo).port)
}
// bench/profile.ts profiles the measured window only (not startup or warm-up), over IPC.
const inspector = new Session()
process.on('message', async (message) => {
  if (message === 'profile:start') {
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.start')
    process.send?.({ profiling: true })
  }
  if (message === 'profile:stop') {
    const { profile } = await inspector.post('Profiler.stop')
    process.send?.({ profile })
  }
  if (message === 'cpu')
    process.send?.({ cpu: process.cpuUsage(), memory: process.memoryUsage().rss })
  if (message === 'exit') process.exit(0)
})
process.send?.({ port: ports[0], ports })
