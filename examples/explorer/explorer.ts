import { AsyncLocalStorage } from 'node:async_hooks'
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import { LRUCache } from 'lru-cache'
import type { DecisionEvent, Policy } from 'oidc-guard'
import { DEMO_USERS, type CodeFlowOptions, type DemoUser } from '../code-flow.js'
import { createExplainer, type Explanation } from './explain.js'
import { renderPage, type TimelineEntry } from './page.js'
import { findRoute } from './routes.js'

/**
 * The decision explorer: a plain page served by the demo under /explorer/. Sign in with the
 * authorization code flow and PKCE, call the orders API, and see each decision explained.
 * Tokens stay in this process: the page only ever sees explanations.
 */

const CLIENT_ID = 'decision-explorer'
const CALL_HEADER = 'x-explorer-call'
const css = readFileSync(new URL('./explorer.css', import.meta.url))

/** What the embedded provider must register for the explorer (any loopback port). */
export const EXPLORER_CODE_FLOW: CodeFlowOptions = {
  clientId: CLIENT_ID,
  redirectUris: ['http://127.0.0.1/explorer/callback'],
  postLogoutRedirectUris: ['http://127.0.0.1/explorer/'],
}

interface ProviderMetadata {
  readonly authorization_endpoint: string
  readonly token_endpoint: string
  readonly end_session_endpoint: string
}

interface Session {
  readonly csrf: string
  login?: { state: string; verifier: string; nonce: string }
  signedIn?: { sub: string; user: DemoUser | undefined; accessToken: string; idToken: string }
  timeline: TimelineEntry[]
}

export interface ExplorerOptions {
  readonly issuer: string
  readonly audience: string
  readonly scope?: string
  /** The API's policy, so `requireAction()` routes are explained as the API decides them. */
  readonly policy?: Policy
}

export interface Explorer {
  /** Give it every decision of the API (from `onDecision`): calls it sent are recorded. */
  record(event: DecisionEvent): void
  /** Serves /explorer/ on the API's server; other requests go to the API as before. */
  attach(server: Server, origin: string): void
}

const MAX_BODY = 16_384
// Every call the explorer makes (to the provider, to the API) is bounded in time, in ms.
const TIMEOUT = 10_000

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > MAX_BODY) throw new Error('form too large')
  }
  return new URLSearchParams(body)
}

const b64url = (bytes: Buffer) => bytes.toString('base64url')

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)]
  return x.length === y.length && timingSafeEqual(x, y)
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

export function createExplorer(options: ExplorerOptions): Explorer {
  const explain = createExplainer(options)
  const calls = new Map<string, DecisionEvent[]>()
  const storage = new AsyncLocalStorage<string>()
  // Bounded: a demo serves a handful of people; the oldest sessions go first.
  const sessions = new LRUCache<string, Session>({ max: 200 })
  const scope = options.scope ?? 'openid profile orders:read orders:write'
  let metadata: Promise<ProviderMetadata> | undefined
  let origin = ''
  let nextId = 1

  const discover = (): Promise<ProviderMetadata> =>
    (metadata ??= fetch(`${options.issuer}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(TIMEOUT),
    })
      .then((res) => res.json() as Promise<ProviderMetadata>)
      .catch((error: unknown) => {
        metadata = undefined
        throw error
      }))

  function session(req: IncomingMessage, res: ServerResponse): Session {
    const id = cookie(req, 'explorer')
    const found = id === undefined ? undefined : sessions.get(id)
    if (found) return found
    const fresh: Session = { csrf: b64url(randomBytes(24)), timeline: [] }
    const newId = b64url(randomBytes(24))
    sessions.set(newId, fresh)
    res.setHeader('set-cookie', `explorer=${newId}; Path=/explorer; HttpOnly; SameSite=Lax`)
    return fresh
  }

  function send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    type = 'text/html; charset=utf-8',
  ) {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      // No script at all; forms post here, and sign-out continues at the provider.
      'content-security-policy': `default-src 'none'; style-src 'self'; form-action 'self' ${new URL(options.issuer).origin}; frame-ancestors 'none'; base-uri 'none'`,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    res.end(body)
  }

  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(303, { location, 'cache-control': 'no-store' }).end()
  }

  function page(
    res: ServerResponse,
    state: Session,
    extra: { pasted?: Explanation; pastedRoute?: string; message?: string; status?: number } = {},
  ) {
    send(
      res,
      extra.status ?? 200,
      renderPage({
        csrf: state.csrf,
        signedIn: state.signedIn,
        users: DEMO_USERS,
        timeline: state.timeline,
        ...extra,
      }),
    )
  }

  async function login(res: ServerResponse, state: Session) {
    const verifier = b64url(randomBytes(32))
    state.login = { state: b64url(randomBytes(16)), verifier, nonce: b64url(randomBytes(16)) }
    const { authorization_endpoint } = await discover()
    const url = new URL(authorization_endpoint)
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope,
      redirect_uri: `${origin}/explorer/callback`,
      // RFC 7636: only the S256 challenge leaves this process; the verifier stays here.
      code_challenge: b64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
      state: state.login.state,
      nonce: state.login.nonce,
      resource: options.audience,
    }).toString()
    redirect(res, url.href)
  }

  async function callback(url: URL, res: ServerResponse, state: Session) {
    const pending = state.login
    state.login = undefined
    const returned = url.searchParams.get('state') ?? ''
    if (!pending || !sameText(returned, pending.state)) {
      return page(res, state, {
        message: 'That sign-in response does not belong to this session. Sign in again.',
        status: 400,
      })
    }
    const error = url.searchParams.get('error')
    if (error) return page(res, state, { message: `The provider answered ${error}.`, status: 400 })
    const { token_endpoint } = await discover()
    const response = await fetch(token_endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(TIMEOUT),
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: url.searchParams.get('code') ?? '',
        redirect_uri: `${origin}/explorer/callback`,
        client_id: CLIENT_ID,
        code_verifier: pending.verifier,
        resource: options.audience,
      }),
    })
    const tokens = (await response.json()) as {
      access_token?: string
      id_token?: string
      error?: string
    }
    if (!tokens.access_token || !tokens.id_token) {
      return page(res, state, {
        message: `The token request failed (${tokens.error ?? response.status}).`,
        status: 400,
      })
    }
    // Straight from the token endpoint over the back channel, so its claims are the provider's.
    const claims = JSON.parse(
      Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString(),
    ) as { sub: string; nonce?: string }
    if (claims.nonce !== pending.nonce)
      return page(res, state, { message: 'The ID token nonce does not match.', status: 400 })
    state.signedIn = {
      sub: claims.sub,
      user: DEMO_USERS.find((user) => user.id === claims.sub),
      accessToken: tokens.access_token,
      idToken: tokens.id_token,
    }
    redirect(res, '/explorer/')
  }

  async function call(form: URLSearchParams, res: ServerResponse, state: Session) {
    const route = findRoute(form.get('route'))
    if (!route)
      return page(res, state, { message: 'Choose one of the listed requests.', status: 400 })
    const token = state.signedIn?.accessToken
    const id = randomUUID()
    const events: DecisionEvent[] = []
    calls.set(id, events)
    const headers: Record<string, string> = {
      [CALL_HEADER]: id,
      'content-type': 'application/json',
    }
    if (token) headers.authorization = `Bearer ${token}`
    let answer: TimelineEntry['answer']
    try {
      const response = await fetch(`${origin}${route.path}`, {
        method: route.method,
        signal: AbortSignal.timeout(TIMEOUT),
        headers,
        body: route.method === 'POST' ? JSON.stringify({ item: 'tea' }) : undefined,
      })
      const shown: Record<string, string> = {}
      for (const name of ['content-type', 'www-authenticate', 'retry-after']) {
        const value = response.headers.get(name)
        if (value !== null) shown[name] = value
      }
      const body = (await response.text()).slice(0, 2000)
      answer = { status: response.status, headers: shown, body }
    } finally {
      calls.delete(id)
    }
    state.timeline.push({
      id: nextId++,
      at: new Date(),
      method: route.method,
      path: route.path,
      user: state.signedIn?.sub,
      events,
      explanation: await explain(token, route),
      answer,
    })
    if (state.timeline.length > 20) state.timeline.shift()
    redirect(res, `/explorer/#call-${nextId - 1}`)
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', origin)
    if (url.pathname === '/explorer') return redirect(res, '/explorer/')
    if (url.pathname === '/explorer/explorer.css')
      return send(res, 200, css, 'text/css; charset=utf-8')
    const state = session(req, res)
    if (req.method === 'GET') {
      if (url.pathname === '/explorer/') return page(res, state)
      if (url.pathname === '/explorer/login') return login(res, state)
      if (url.pathname === '/explorer/callback') return callback(url, res, state)
      return send(res, 404, 'Not found', 'text/plain; charset=utf-8')
    }
    if (req.method !== 'POST')
      return send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8')
    const form = await readForm(req)
    // Every form carries the session's CSRF token (and the cookie is SameSite=Lax).
    if (!sameText(form.get('csrf') ?? '', state.csrf)) {
      return page(res, state, { message: 'This form has expired. Try again.', status: 403 })
    }
    if (url.pathname === '/explorer/call') return call(form, res, state)
    if (url.pathname === '/explorer/explain') {
      const route = findRoute(form.get('route'))
      const token = (form.get('token') ?? '').trim()
      if (!route)
        return page(res, state, { message: 'Choose one of the listed routes.', status: 400 })
      return page(res, state, {
        pasted: await explain(token === '' ? undefined : token, route),
        pastedRoute: form.get('route') ?? undefined,
      })
    }
    if (url.pathname === '/explorer/logout') {
      const idToken = state.signedIn?.idToken
      state.signedIn = undefined
      state.timeline = []
      if (!idToken) return redirect(res, '/explorer/')
      const { end_session_endpoint } = await discover()
      const end = new URL(end_session_endpoint)
      end.search = new URLSearchParams({
        id_token_hint: idToken,
        client_id: CLIENT_ID,
        post_logout_redirect_uri: `${origin}/explorer/`,
      }).toString()
      return redirect(res, end.href)
    }
    send(res, 404, 'Not found', 'text/plain; charset=utf-8')
  }

  return {
    record(event) {
      const id = storage.getStore()
      if (id !== undefined) calls.get(id)?.push(event)
    },
    attach(server, serverOrigin) {
      origin = serverOrigin
      const api = server.listeners('request') as RequestListener[]
      server.removeAllListeners('request')
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (req.url === '/explorer' || req.url?.startsWith('/explorer/')) {
          handle(req, res).catch(() => {
            if (!res.headersSent)
              send(res, 500, 'The explorer failed on this request.', 'text/plain; charset=utf-8')
            else res.end()
          })
          return
        }
        const forward = () => {
          for (const listener of api) listener.call(server, req, res)
        }
        // The API's decisions for a call the explorer sent are recorded under that call.
        const id = req.headers[CALL_HEADER]
        if (typeof id === 'string' && calls.has(id)) storage.run(id, forward)
        else forward()
      })
    },
  }
}
