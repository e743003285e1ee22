import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'

/** How the JWKS endpoint answers: normally, or one of the ways real endpoints fail. */
export type JwksBehaviour =
  | { kind: 'ok'; cacheControl?: string }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'body'; body: string | Buffer; contentType?: string; declareLength?: boolean }
  | { kind: 'redirect'; location: string }
  | { kind: 'reset' }

/**
 * A real HTTP JWKS (and discovery) endpoint on 127.0.0.1 whose keys and failure modes a test
 * controls, counting every request. Serves `/jwks` and `/.well-known/openid-configuration`.
 */
export interface JwksServer {
  /** `http://127.0.0.1:<port>`, also the issuer. */
  readonly url: string
  readonly issuer: string
  readonly jwksUri: string
  /** Public JWKs served at /jwks. */
  keys: JWK[]
  behaviour: JwksBehaviour
  /** Discovery document served at /.well-known/openid-configuration; undefined answers 404. */
  discovery: Record<string, unknown> | undefined
  /** Requests per path. */
  readonly hits: Map<string, number>
  jwksFetches(): number
  close(): Promise<void>
}

export interface JwksServerOptions {
  /** Default 0: any free port. A fixed one keeps an issuer URL stable across runs (the bench). */
  readonly port?: number
  /** Default none. */
  readonly keys?: JWK[]
  /** Serve a discovery document naming this server as issuer and its /jwks. Default false. */
  readonly discovery?: boolean
}

/** Starts a JWKS server on 127.0.0.1; `close()` it when done. */
export async function startJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  const hanging = new Set<ServerResponse>()
  const state = {
    keys: options.keys ?? [],
    behaviour: { kind: 'ok' } as JwksBehaviour,
    discovery: undefined as Record<string, unknown> | undefined,
    hits: new Map<string, number>(),
  }

  function serveJwks(req: IncomingMessage, res: ServerResponse): void {
    const behaviour = state.behaviour
    switch (behaviour.kind) {
      case 'ok': {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (behaviour.cacheControl) headers['cache-control'] = behaviour.cacheControl
        res.writeHead(200, headers).end(JSON.stringify({ keys: state.keys }))
        return
      }
      case 'status':
        res.writeHead(behaviour.status).end('error')
        return
      case 'hang':
        hanging.add(res)
        return
      case 'slow':
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ keys: state.keys }))
        }, behaviour.delayMs).unref()
        return
      case 'body':
        res.writeHead(200, {
          'content-type': behaviour.contentType ?? 'application/json',
          ...(behaviour.declareLength
            ? { 'content-length': String(Buffer.byteLength(behaviour.body)) }
            : {}),
        })
        res.end(behaviour.body)
        return
      case 'redirect':
        res.writeHead(302, { location: behaviour.location }).end()
        return
      case 'reset':
        req.socket.destroy()
        return
    }
  }

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1)
    if (path === '/jwks') return serveJwks(req, res)
    if (path === '/.well-known/openid-configuration' && state.discovery) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(state.discovery))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  if (options.discovery) state.discovery = { issuer: url, jwks_uri: `${url}/jwks` }

  return Object.assign(state, {
    url,
    issuer: url,
    jwksUri: `${url}/jwks`,
    jwksFetches: () => state.hits.get('/jwks') ?? 0,
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}
