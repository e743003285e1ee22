import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientAuthMethod, type ClientMetadata } from 'oidc-provider'
import { MemoryAdapter } from '../../src/testing/oidc-provider.js'

/**
 * A real oidc-provider for the revocation tests: opaque and JWT access tokens, RFC 7662
 * introspection (plain and RFC 9701 signed) for API clients of each authentication method,
 * RFC 7009 revocation, and an authorization-code client with back-channel logout.
 */
export const OPAQUE_RESOURCE = 'https://opaque.orders.example.com'
export const JWT_RESOURCE = 'https://orders.example.com'
export const SECRET = 'a-test-client-secret-that-is-long-enough'

export interface RevocationProvider {
  readonly issuer: string
  /** An API client's private JWK, for private_key_jwt. */
  readonly apiPrivateKey: JWK
  /** Requests to /token/introspection so far. */
  introspections(): number
  /** A client_credentials token of `machine` for a resource (opaque or JWT per resource). */
  token(resource?: string): Promise<string>
  /** Revokes a token at the provider (RFC 7009). */
  revoke(token: string): Promise<void>
  /** Scripted login of `user` with the code flow: the JWT access token and the session cookies. */
  login(
    user: string,
  ): Promise<{ accessToken: string; idToken: string; cookies: Map<string, string> }>
  /** RP-initiated logout of that session; the provider then calls the back-channel URI. */
  logout(session: { idToken: string; cookies: Map<string, string> }): Promise<void>
  /** While false, every request answers 503. */
  setAvailable(available: boolean): void
  /** Signs a logout token with the provider's own key, for hostile-token tests. */
  readonly signingKey: JWK
  close(): Promise<void>
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

function store(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';', 1) as [string]
    const index = pair.indexOf('=')
    const name = pair.slice(0, index)
    const value = pair.slice(index + 1)
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
}

export async function startRevocationProvider(
  options: { backchannelLogoutUri?: string; accessTokenTTL?: number } = {},
): Promise<RevocationProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }
  const api = await generateKeyPair('ES256', { extractable: true })
  const apiPrivateKey = { ...(await exportJWK(api.privateKey)), kid: 'api-1', alg: 'ES256' }
  const apiPublicKey = { ...(await exportJWK(api.publicKey)), kid: 'api-1', alg: 'ES256' }
  const ttl = options.accessTokenTTL ?? 300
  let available = true
  let introspections = 0
  let provider: Provider | undefined

  const server: Server = createServer((req, res) => {
    if (!available) {
      res.writeHead(503).end()
      return
    }
    if (req.url?.startsWith('/token/introspection')) introspections += 1
    provider?.callback()(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const apiClient = (
    client_id: string,
    method: ClientAuthMethod,
    extra: Partial<ClientMetadata> = {},
  ): ClientMetadata => ({
    client_id,
    ...(method === 'private_key_jwt'
      ? { jwks: { keys: [apiPublicKey] } }
      : { client_secret: SECRET }),
    grant_types: [],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: method,
    ...extra,
  })

  provider = new Provider(issuer, {
    clients: [
      apiClient('api-basic', 'client_secret_basic'),
      apiClient('api-post', 'client_secret_post'),
      apiClient('api-jwt', 'private_key_jwt'),
      apiClient('api-signed', 'client_secret_basic', {
        introspection_signed_response_alg: 'RS256',
      }),
      {
        client_id: 'machine',
        client_secret: SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: 'web',
        client_secret: SECRET,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        post_logout_redirect_uris: ['http://127.0.0.1/bye'],
        token_endpoint_auth_method: 'client_secret_post',
        ...(options.backchannelLogoutUri && {
          backchannel_logout_uri: options.backchannelLogoutUri,
          backchannel_logout_session_required: true,
        }),
      },
    ],
    jwks: { keys: [signingKey] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = form
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = 'signed out'
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => OPAQUE_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'orders:read orders:write',
          audience: resource,
          accessTokenFormat: resource === JWT_RESOURCE ? 'jwt' : 'opaque',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Back-channel logout to the API on 127.0.0.1: the provider's own dispatcher refuses
    // loopback addresses, so it is dropped here (tests only).
    fetch: (url, init) => {
      const { dispatcher: _dispatcher, ...rest } = init as RequestInit & { dispatcher?: unknown }
      return globalThis.fetch(url, rest)
    },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    cookies: { keys: ['a-cookie-signing-key-for-tests-only'] },
    adapter: MemoryAdapter,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      IdToken: 300,
      Interaction: 300,
      Session: 600,
      Grant: 600,
      RefreshToken: 600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json'
      ctx.body = out
    },
  })

  async function follow(url: string, jar: Map<string, string>, init: RequestInit = {}) {
    let response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(jar) },
    })
    store(jar, response)
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location') as string, url).href
      if (location.startsWith('http://127.0.0.1/')) return { response, location }
      response = await fetch(location, {
        redirect: 'manual',
        headers: { cookie: cookieHeader(jar) },
      })
      store(jar, response)
      url = location
    }
    return { response, location: url }
  }

  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

  return {
    issuer,
    apiPrivateKey,
    signingKey,
    introspections: () => introspections,
    async token(resource = OPAQUE_RESOURCE) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'machine',
          client_secret: SECRET,
          resource,
          scope: 'orders:read',
        }),
      })
      const json = (await response.json()) as { access_token?: string }
      if (!json.access_token) throw new Error(`token request failed: ${JSON.stringify(json)}`)
      return json.access_token
    },
    async revoke(token) {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        body: new URLSearchParams({ token, client_id: 'machine', client_secret: SECRET }),
      })
      if (response.status !== 200) throw new Error(`revocation failed: ${response.status}`)
    },
    async login(user) {
      const jar = new Map<string, string>()
      const verifier = randomBytes(32).toString('base64url')
      const challenge = createHash('sha256').update(verifier).digest('base64url')
      const authorize = new URL(`${issuer}/auth`)
      for (const [name, value] of Object.entries({
        client_id: 'web',
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1/callback',
        scope: 'openid orders:read',
        resource: JWT_RESOURCE,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'state-1',
      }))
        authorize.searchParams.set(name, value)
      let step = await follow(authorize.href, jar)
      for (const prompt of ['login', 'consent']) {
        const interaction = step.location
        step = await follow(interaction, jar, form({ prompt, login: user, password: 'any' }))
        if (step.location.startsWith('http://127.0.0.1/callback')) break
      }
      const code = new URL(step.location).searchParams.get('code')
      if (!code) throw new Error(`login did not end with a code: ${step.location}`)
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1/callback',
          code_verifier: verifier,
          client_id: 'web',
          client_secret: SECRET,
          resource: JWT_RESOURCE,
        }),
      })
      const json = (await response.json()) as { access_token?: string; id_token?: string }
      if (!json.access_token || !json.id_token)
        throw new Error(`code exchange failed: ${JSON.stringify(json)}`)
      return { accessToken: json.access_token, idToken: json.id_token, cookies: jar }
    },
    async logout({ idToken, cookies }) {
      const end = new URL(`${issuer}/session/end`)
      end.searchParams.set('id_token_hint', idToken)
      end.searchParams.set('post_logout_redirect_uri', 'http://127.0.0.1/bye')
      const page = await follow(end.href, cookies)
      const html = await page.response.text()
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
      if (!xsrf) throw new Error('logout page has no xsrf field')
      const done = await follow(
        `${issuer}/session/end/confirm`,
        cookies,
        form({ xsrf, logout: 'yes' }),
      )
      if (!done.location.startsWith('http://127.0.0.1/bye'))
        throw new Error(`logout did not complete: ${done.location}`)
    },
    setAvailable(value) {
      available = value
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
