import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A throwaway redis-server (Debian's, installed by .ci/run) on a free loopback port. */
export interface RedisInstance {
  readonly url: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts redis-server without persistence and waits until it answers PING (at most 5 s). */
export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort()
  await run('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'yes',
  ])
  const deadline = Date.now() + 5000
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'])
      if (stdout.trim() === 'PONG') break
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => {})
    },
  }
}
