import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'redis'

/**
 * A throwaway redis-server on 127.0.0.1 (Debian's, installed by .ci/run), started on a free port
 * by the tests and the benchmarks that share state through Redis. Part of the testing kit's
 * source but not of the published `oidc-guard/testing` (it needs the `redis` client and the
 * `redis-server` binary), like the embedded OpenID provider.
 */
/** A running throwaway redis-server. */
export interface TestRedis {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM); with `persist`, its append-only file keeps the data. */
  stop(): Promise<void>
  /** Starts it again on the same port (and, with `persist`, the same data). */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

export interface StartRedisOptions {
  /** Keep the data across `stop()`/`start()` (an append-only file in a temporary directory). */
  readonly persist?: boolean
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

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000
  for (;;) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      await probe.quit()
      return
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill()
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  // Fails loudly when redis-server is missing (.ci/run installs it).
  execFileSync('redis-server', ['--version'])
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const dir = options.persist ? mkdtempSync(join(tmpdir(), 'oidc-guard-redis-')) : undefined
  const storage = dir ? ['--appendonly', 'yes', '--dir', dir] : ['--appendonly', 'no']
  let child: ChildProcess | undefined
  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...storage],
      { stdio: 'ignore' },
    )
    child = started
    await waitUntilAnswering(url, started)
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return resolve()
      running.once('exit', () => resolve())
      running.kill('SIGTERM')
    })
  await start()
  return {
    port,
    url,
    stop,
    start,
    async close() {
      await stop()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A TCP proxy in front of Redis that a test can cut, to disconnect one instance only. */
export interface CuttableLink {
  readonly url: string
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startLink(targetPort: number): Promise<CuttableLink> {
  const sockets = new Set<Socket>()
  let open = true
  const server: Server = createServer((socket) => {
    if (!open) return socket.destroy()
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' })
    for (const end of [socket, upstream]) {
      sockets.add(end)
      end.on('error', () => {})
      end.on('close', () => {
        sockets.delete(end)
        socket.destroy()
        upstream.destroy()
      })
    }
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      open = true
    },
    async close() {
      open = false
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
