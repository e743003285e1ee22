/**
 * The chaos suite's parts: an identity provider stand-in whose discovery and JWKS endpoints fail
 * on command (real HTTP on 127.0.0.1), an app per adapter, and a bounded client that reports
 * what users got.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'vitest'
import type { JWK } from 'jose'
import type { AuthenticateOptions, DecisionEvent } from 'oidc-guard'
import { buildApp, type Framework, type RunningApp } from '../helpers/route-apps.js'

/** How one endpoint answers. */
export type Fault =
  | { kind: 'ok'; cacheControl?: string }
  | { kind: 'status'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'reset-mid-body' }
  | { kind: 'body'; body: string }

export interface FaultyIdp {
  readonly issuer: string
  /** The JWKS path discovery names (changeable: a provider moving its keys). */
  jwksPath: string
  /** Keys served at each JWKS path (the default path when absent). */
  readonly keysAt: Map<string, JWK[]>
  keys: JWK[]
  /** JWKS paths that answer 404 (a URL the provider no longer serves). */
  readonly gone: Set<string>
  jwks: Fault
  discovery: Fault
  hits(path: string): number
  close(): Promise<void>
}

export async function startFaultyIdp(): Promise<FaultyIdp> {
  const hits = new Map<string, number>()
  const open = new Set<ServerResponse>()
  let idp: FaultyIdp

  function answer(res: ServerResponse, fault: Fault, body: () => unknown): void {
    switch (fault.kind) {
      case 'ok': {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (fault.cacheControl) headers['cache-control'] = fault.cacheControl
        res.writeHead(200, headers).end(JSON.stringify(body()))
        return
      }
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('error')
        return
      case 'slow': {
        open.add(res)
        const timer = setTimeout(() => {
          open.delete(res)
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body()))
        }, fault.delayMs)
        res.on('close', () => clearTimeout(timer))
        return
      }
      case 'hang':
        open.add(res)
        return
      case 'reset-mid-body': {
        const text = JSON.stringify(body())
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length })
        res.write(text.slice(0, text.length >> 1))
        setTimeout(() => res.socket?.destroy(), 20)
        return
      }
      case 'body':
        res.writeHead(200, { 'content-type': 'application/json' }).end(fault.body)
        return
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    if (path === '/.well-known/openid-configuration') {
      return answer(res, idp.discovery, () => ({
        issuer: idp.issuer,
        jwks_uri: `${idp.issuer}${idp.jwksPath}`,
      }))
    }
    if (idp.gone.has(path)) return void res.writeHead(404).end()
    if (path.startsWith('/jwks')) {
      return answer(res, idp.jwks, () => ({ keys: idp.keysAt.get(path) ?? idp.keys }))
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  idp = {
    issuer,
    jwksPath: '/jwks',
    keysAt: new Map(),
    keys: [],
    gone: new Set(),
    jwks: { kind: 'ok' },
    discovery: { kind: 'ok' },
    hits: (path) => hits.get(path) ?? 0,
    async close() {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return idp
}

/** An app on one adapter with GET /orders behind `authenticate(options)`, recording decisions. */
export async function startApp(
  framework: Framework,
  options: AuthenticateOptions,
): Promise<RunningApp & { url: string; events: DecisionEvent[] }> {
  const events: DecisionEvent[] = []
  const app = await buildApp(framework, [
    {
      path: '/orders',
      options: { ...options, onDecision: (event) => events.push(event), onWarning: () => {} },
    },
  ])
  // Fastify's app is ready but not listening yet.
  if (!app.server.listening) {
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve))
  }
  const { port } = app.server.address() as AddressInfo
  return Object.assign(app, { url: `http://127.0.0.1:${port}/orders`, events })
}

export interface Answer {
  readonly status: number | 'hang' | 'error'
  readonly ms: number
  readonly retryAfter: string | null
  readonly challenge: string | null
}

export interface ClientReport {
  readonly answers: Answer[]
  count(status: Answer['status']): number
}

/**
 * Sends each token once (`concurrency` at a time, each worker pausing `pauseMs` between
 * requests), giving up on a request after `timeoutMs`: bounded in count and time, loopback only.
 */
export async function drive(
  url: string,
  tokens: readonly string[],
  { concurrency = 5, timeoutMs = 3_000, pauseMs = 0 } = {},
): Promise<ClientReport> {
  const answers: Answer[] = []
  let next = 0
  async function worker() {
    while (next < tokens.length) {
      const token = tokens[next++] as string
      const started = performance.now()
      try {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.arrayBuffer()
        answers.push({
          status: response.status,
          ms: performance.now() - started,
          retryAfter: response.headers.get('retry-after'),
          challenge: response.headers.get('www-authenticate'),
        })
      } catch (error) {
        const status = (error as Error).name === 'TimeoutError' ? 'hang' : 'error'
        answers.push({ status, ms: performance.now() - started, retryAfter: null, challenge: null })
      }
      if (pauseMs > 0) await sleep(pauseMs)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { answers, count: (status) => answers.filter((a) => a.status === status).length }
}

/**
 * What every chaos answer must be: 200, a 401 with a Bearer challenge, or a 503 with a numeric
 * `Retry-After`; never a 500, an error or a hang; never slower than `maxMs`.
 */
export function expectOnlyDocumented(report: ClientReport, maxMs: number): void {
  for (const answer of report.answers) {
    expect([200, 401, 503], JSON.stringify(answer)).toContain(answer.status)
    if (answer.status === 401) expect(answer.challenge).toMatch(/^Bearer realm="api"/)
    if (answer.status === 503) expect(answer.retryAfter).toMatch(/^[1-9]\d*$/)
    expect(answer.ms, JSON.stringify(answer)).toBeLessThan(maxMs)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
