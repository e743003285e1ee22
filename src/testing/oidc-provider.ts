import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider'
import { createTestKey } from './keys.js'

/**
 * An embedded OpenID provider for oidc-guard's integration tests and its demo (`npm start`):
 * the certified `oidc-provider` package, on 127.0.0.1, issuing real RFC 9068
 * access tokens. Part of the testing kit's source but not of the published `oidc-guard/testing`
 * (it needs `oidc-provider`, a development dependency); `createTestIssuer()` is the published
 * stand-in. Not for production.
 */

/** A client of the provider: its allowed API scopes and the roles put in its tokens. */
export interface TestClient {
  readonly clientId: string
  readonly scopes: string
  readonly roles?: string[]
  /** Extra claims put into every access token of this client. */
  readonly extraClaims?: Record<string, unknown>
  /** Lifetime of this client's access tokens, in seconds. Default: the provider's. */
  readonly accessTokenTTL?: number
}

/**
 * Browser sign-in added to the root provider, e.g. the authorization code flow with PKCE of
 * examples/code-flow.ts: its public client, its provider settings and its sign-in pages.
 */
export interface InteractiveLogin {
  /** The public client that signs people in, registered beside the client_credentials ones. */
  readonly client: ClientMetadata
  /** The API scopes the resource server allows that client (each user's grant narrows them). */
  readonly scopes: string
  /** Extra claims of a signed-in account's access tokens (e.g. its roles), if it is known. */
  claimsFor(accountId: string): Record<string, unknown> | undefined
  /** Provider settings the sign-in needs. */
  readonly configuration: Pick<
    Configuration,
    'findAccount' | 'loadExistingGrant' | 'cookies' | 'interactions' | 'features'
  >
  /** Lifetimes, in seconds, of what the sign-in creates, given the access tokens' lifetime. */
  ttl(accessTokenTTL: number): NonNullable<Configuration['ttl']>
  /** Serves the sign-in pages; resolves false for any other request. */
  handle(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean>
}

export const RESOURCE = 'https://orders.example.com'
const SECRET = 'a-test-client-secret-that-is-long-enough'

export const DEFAULT_CLIENTS: TestClient[] = [
  { clientId: 'reader', scopes: 'orders:read', roles: ['viewer'] },
  {
    clientId: 'writer',
    scopes: 'orders:read orders:write',
    roles: ['editor'],
    extraClaims: { tenant: 'acme' },
  },
  { clientId: 'admin', scopes: 'orders:read orders:write', roles: ['admin', 'editor'] },
]

export interface ProviderOptions {
  readonly clients?: TestClient[]
  /** Seconds. Default 300. */
  readonly accessTokenTTL?: number
  /** Default 0 (any free port). */
  readonly port?: number
  /** Host one provider per tenant under `/realms/<tenant>` instead of one at the root. */
  readonly tenants?: string[]
  /** Also let people sign in from a browser, at the root provider only. */
  readonly interactive?: InteractiveLogin
}

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 issuing RFC 9068 JWT access tokens with
 * the client_credentials grant and resource indicators. Keys can be rotated while it runs, and
 * its JWKS endpoint can be taken down.
 */
export interface TestProvider {
  /** The issuer (the first tenant's, with `tenants`). */
  readonly issuer: string
  /** The issuer of one tenant (with `tenants`). */
  issuerFor(tenant?: string): string
  /** Requests to /jwks so far. */
  jwksFetches(): number
  /** Gets an access token over HTTP from the token endpoint. */
  token(clientId: string, scope?: string, resource?: string, tenant?: string): Promise<string>
  /**
   * Gets a DPoP-bound access token (RFC 9449 §5): `proof` makes the DPoP proof for the token
   * endpoint URL it is given (POST).
   */
  dpopToken(
    clientId: string,
    proof: (htu: string) => Promise<string>,
    scope?: string,
  ): Promise<string>
  /** Replaces the signing keys (new kids); the previous key is kept published unless dropped. */
  rotateKeys(options?: { keepPrevious?: boolean }): Promise<void>
  /** When false, /jwks answers 503. */
  setJwksAvailable(available: boolean): void
  close(): Promise<void>
}

// oidc-provider signs with private JWKs: the kit's keys, exported whole.
async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<JWK> {
  const { privateKey } = await createTestKey(alg, kid)
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' }
}

// A Map with TTLs: the built-in adapter is a small LRU and warns on every start. Also used by the
// revocation tests' provider (test/helpers/revocation-provider.ts), which revokes grants.
const storage = new Map<string, { value: unknown; expiresAt: number }>()
/** oidc-provider's storage for the tests: in memory, with expiry, uid and grant indexes. */
export class MemoryAdapter {
  constructor(private readonly model: string) {}
  private key(id: string) {
    return `${this.model}:${id}`
  }
  async upsert(id: string, value: unknown, expiresIn?: number) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity
    storage.set(this.key(id), { value, expiresAt })
    // Sessions are also found by uid (the interactive sign-in's interactions and tokens).
    const uid = (value as { uid?: unknown }).uid
    if (typeof uid === 'string') storage.set(this.key(`uid:${uid}`), { value: id, expiresAt })
    // A grant's tokens are found again when it is revoked (RFC 7009, logout).
    const grantId = (value as { grantId?: unknown }).grantId
    if (typeof grantId === 'string')
      storage.set(`grant:${grantId}:${this.key(id)}`, { value: id, expiresAt })
  }
  async find(id: string) {
    const entry = storage.get(this.key(id))
    if (!entry || entry.expiresAt < Date.now()) return undefined
    return entry.value as never
  }
  async findByUserCode() {
    return undefined
  }
  async findByUid(uid: string) {
    const id = (await this.find(`uid:${uid}`)) as string | undefined
    return id === undefined ? undefined : this.find(id)
  }
  // A consumed authorization code cannot be exchanged again.
  async consume(id: string) {
    const entry = storage.get(this.key(id))
    if (entry) entry.value = { ...(entry.value as object), consumed: Math.floor(Date.now() / 1000) }
  }
  async destroy(id: string) {
    storage.delete(this.key(id))
  }
  async revokeByGrantId(grantId: string) {
    const prefix = `grant:${grantId}:`
    for (const key of [...storage.keys()]) {
      if (!key.startsWith(prefix)) continue
      storage.delete(key.slice(prefix.length))
      storage.delete(key)
    }
  }
}

let generation = 0

async function keySet(): Promise<JWK[]> {
  generation += 1
  return [
    await signingKey('RS256', `rs-${generation}`),
    await signingKey('ES256', `es-${generation}`),
  ]
}

export async function startProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const clients = options.clients ?? DEFAULT_CLIENTS
  const byId = new Map(clients.map((client) => [client.clientId, client]))
  // One provider at the root, or one per tenant under /realms/<tenant> (Keycloak's layout).
  const prefixes = options.tenants?.map((tenant) => `/realms/${tenant}`) ?? ['']
  const providers = new Map<string, Provider>()
  const keysByPrefix = new Map<string, JWK[]>()
  let jwksAvailable = true
  let jwksFetches = 0
  const interactive = options.interactive

  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/'
    const root = providers.get('')
    if (interactive && root && (await interactive.handle(root, req, res))) return
    const prefix = prefixes.find(
      (candidate) => candidate === '' || url === candidate || url.startsWith(`${candidate}/`),
    )
    const provider = prefix === undefined ? undefined : providers.get(prefix)
    if (prefix === undefined || provider === undefined) {
      res.writeHead(404).end()
      return
    }
    const path = url.slice(prefix.length) || '/'
    if (path.startsWith('/jwks')) {
      jwksFetches += 1
      if (!jwksAvailable) {
        res.writeHead(503).end()
        return
      }
    }
    // Mounted like Express' app.use(prefix, …): oidc-provider derives its URLs from originalUrl.
    ;(req as { originalUrl?: string }).originalUrl = url
    req.url = path
    provider.callback()(req, res)
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  function build(issuer: string, keys: JWK[]): Provider {
    return new Provider(issuer, {
      clients: [
        ...clients.map((client) => ({
          client_id: client.clientId,
          client_secret: SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_post' as const,
        })),
        ...(interactive ? [interactive.client] : []),
      ],
      jwks: { keys },
      ...interactive?.configuration,
      features: {
        ...interactive?.configuration.features,
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        introspection: { enabled: false },
        revocation: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource, client) => ({
            scope: byId.get(client.clientId)?.scopes ?? interactive?.scopes ?? '',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL:
              byId.get(client.clientId)?.accessTokenTTL ?? options.accessTokenTTL ?? 300,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      extraTokenClaims: (_ctx, token) => {
        const accountId = 'accountId' in token ? token.accountId : undefined
        const account = accountId ? interactive?.claimsFor(accountId as string) : undefined
        if (account) return account
        const client = byId.get(token.clientId as string)
        return { roles: client?.roles ?? [], ...client?.extraClaims }
      },
      adapter: MemoryAdapter,
      ttl: {
        ClientCredentials: (_ctx, _token, client) =>
          byId.get(client.clientId)?.accessTokenTTL ?? options.accessTokenTTL ?? 300,
        ...interactive?.ttl(options.accessTokenTTL ?? 300),
      },
      renderError: (ctx, out) => {
        ctx.type = 'json'
        ctx.body = out
      },
    })
  }

  for (const prefix of prefixes) {
    const keys = await keySet()
    keysByPrefix.set(prefix, keys)
    providers.set(prefix, build(`${origin}${prefix}`, keys))
  }
  const issuerFor = (tenant?: string) =>
    `${origin}${tenant === undefined ? (prefixes[0] as string) : `/realms/${tenant}`}`

  async function requestToken(
    clientId: string,
    scope = byId.get(clientId)?.scopes,
    resource = RESOURCE,
    tenant?: string,
    headers?: Record<string, string>,
  ): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: SECRET,
      resource,
    })
    if (scope) body.set('scope', scope)
    const response = await fetch(`${issuerFor(tenant)}/token`, { method: 'POST', body, headers })
    const json = (await response.json()) as { access_token?: string; error?: string }
    if (!json.access_token) throw new Error(`token request failed: ${JSON.stringify(json)}`)
    return json.access_token
  }

  return {
    issuer: issuerFor(),
    issuerFor,
    jwksFetches: () => jwksFetches,
    token: (clientId, scope, resource, tenant) => requestToken(clientId, scope, resource, tenant),
    async dpopToken(clientId, proof, scope) {
      const htu = `${issuerFor()}/token`
      return requestToken(clientId, scope, RESOURCE, undefined, { DPoP: await proof(htu) })
    },
    async rotateKeys({ keepPrevious = true } = {}) {
      for (const prefix of prefixes) {
        // The provider signs with the first key of the wanted alg: the new keys go first.
        const next = await keySet()
        const keys = keepPrevious ? [...next, ...(keysByPrefix.get(prefix) ?? [])] : next
        keysByPrefix.set(prefix, keys)
        providers.set(prefix, build(`${origin}${prefix}`, keys))
      }
    },
    setJwksAvailable(available) {
      jwksAvailable = available
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
