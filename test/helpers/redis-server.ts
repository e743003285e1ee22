import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createClient } from 'redis'

/** A throwaway redis-server on 127.0.0.1, started by the test on a free port. */
export interface TestRedis {
  readonly port: number
  readonly url: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

export async function startRedis(): Promise<TestRedis> {
  // Fails loudly when redis-server is missing (.ci/run installs it).
  execFileSync('redis-server', ['--version'])
  const port = await freePort()
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 5000
  for (;;) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      await probe.quit()
      break
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill()
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return {
    port,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
