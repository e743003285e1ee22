import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throwaway Debian `redis-server` on 127.0.0.1, started and stopped by the test. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM; the append-only file keeps the data). */
  stop(): Promise<void>
  /** Starts it again on the same port and directory. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort(port: number, up: boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open === up) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`redis-server on ${port} did not ${up ? 'start' : 'stop'}`)
}

/** Starts `redis-server` with an append-only file in a temporary directory, on a free port. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'oidc-guard-redis-'))
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    )
    await waitForPort(port, true)
  }
  await start()
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    async close() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
    async stop() {
      const running = child
      child = undefined
      if (running === undefined) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGTERM')
      await exited
      await waitForPort(port, false)
    },
  }
  return server
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
