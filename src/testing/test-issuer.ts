import { randomUUID } from 'node:crypto'
import type { JWK } from 'jose'
import type { SingleIssuerOptions } from '../index.js'
import { startJwksServer, type JwksServer } from './jwks-server.js'
import { signJws } from './jws.js'
import { createTestKey, type SigningAlgorithm, type TestKey } from './keys.js'
import {
  genericShape,
  PROVIDER_NAMES,
  providerShape,
  type TokenContext,
  type TokenInput,
  type TokenShape,
} from './provider-tokens.js'

/**
 * How `authenticate()` reaches the test issuer's keys:
 * - `'fetch'` (default): discovery and JWKS answered in memory by an injected `fetch`; no socket,
 *   same code path as production (discovery, key selection, rotation);
 * - `'loopback'`: a real HTTP server on 127.0.0.1 serving discovery and `/jwks`;
 * - `'static'`: the public keys given as the `jwks` option; nothing is fetched.
 */
export type TestIssuerTransport = 'fetch' | 'loopback' | 'static'

/** Options of `createTestIssuer()`. */
export interface CreateTestIssuerOptions {
  /** Default `'fetch'`. */
  transport?: TestIssuerTransport
  /** The `iss` (not with `'loopback'`, whose issuer is its URL). Default `https://issuer.test`. */
  issuer?: string
  /** The `aud` of minted tokens and of `options`. Default `https://api.test`. */
  audience?: string
  /** Signing algorithm. Default `RS256`. */
  algorithm?: SigningAlgorithm
  /** `client_id` of minted tokens. Default `test-client`. */
  clientId?: string
  /** `sub` of minted tokens. Default `test-user`. */
  subject?: string
  /** Token lifetime, in seconds. Default 300. */
  expiresIn?: number
}

/** Per-token settings beyond the claims. */
export interface TokenOptions {
  /** Header members to add or override (`typ`, `kid`, …). */
  header?: Record<string, unknown>
  /** Lifetime of this token, in seconds. Default: the issuer's `expiresIn`. */
  expiresIn?: number
}

/** Mints signed access tokens; see `TestIssuer.token`. */
export interface TokenMinter {
  /** A valid RFC 9068 access token (`typ: at+jwt`). */
  (input?: TokenInput, options?: TokenOptions): string
  /** Expired an hour ago (beyond any allowed clock tolerance). */
  expired(input?: TokenInput, options?: TokenOptions): string
  /** `nbf` an hour ahead. */
  notYetValid(input?: TokenInput, options?: TokenOptions): string
  /** For `https://other-api.test` instead of the issuer's audience. */
  wrongAudience(input?: TokenInput, options?: TokenOptions): string
  /** From `https://other-issuer.test`, signed with the issuer's key. */
  wrongIssuer(input?: TokenInput, options?: TokenOptions): string
  /** Valid claims, signature altered. */
  badSignature(input?: TokenInput, options?: TokenOptions): string
  /** Keycloak's shape: `realm_access.roles`, `azp`; read with `claims: 'keycloak'`. */
  keycloak(input?: TokenInput, options?: TokenOptions): string
  /** Entra ID v2: `scp` string, app `roles`, `tid`; read with `claims: 'entra'`. */
  entra(input?: TokenInput, options?: TokenOptions): string
  /** Auth0 RBAC: `scope` and `permissions`; read with `claims: 'auth0'`. */
  auth0(input?: TokenInput, options?: TokenOptions): string
  /** Okta: `scp` list, `cid`; read with `claims: 'okta'`. */
  okta(input?: TokenInput, options?: TokenOptions): string
  /** Cognito: no `aud`, `client_id` is the audience, `cognito:groups`; read with `claims: 'cognito'`. */
  cognito(input?: TokenInput, options?: TokenOptions): string
}

/** An identity provider stand-in for tests. `close()` it when done (needed for `'loopback'`). */
export interface TestIssuer {
  /** The issuer (`iss`). */
  readonly issuer: string
  /** The audience of minted tokens. */
  readonly audience: string
  /**
   * Options for `authenticate()` / `createAuthenticator()` that trust this issuer, computed on
   * each read. The key-set refetch cooldown is 0 so a rotation is seen at once.
   */
  readonly options: SingleIssuerOptions
  /** The published key set (RFC 7517 §5), for the `jwks` option. */
  readonly jwks: { keys: JWK[] }
  /** The key that signs new tokens. */
  readonly signingKey: TestKey
  /** Signs tokens; sync, so it fits in a header expression. */
  readonly token: TokenMinter
  /** Requests for the key set so far (not with `'static'`). */
  jwksFetches(): number
  /**
   * A new signing key (new `kid`) signs from now on; the previous one stays published unless
   * `keepPrevious` is false. Not seen by an authenticator built with `'static'` options.
   */
  rotateKeys(options?: { keepPrevious?: boolean }): Promise<TestKey>
  close(): Promise<void>
}

const OTHER_AUDIENCE = 'https://other-api.test'
const OTHER_ISSUER = 'https://other-issuer.test'
const HOUR = 3600

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

// Changes one character in the middle of the signature: still canonical base64url, so the
// token parses and fails only its signature check.
function alterSignature(token: string): string {
  const at = token.lastIndexOf('.') + 2
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

/**
 * An issuer for tests: a key pair, discovery and JWKS (in memory, over loopback HTTP or as
 * static keys), and a signer for realistic access tokens, valid or not in every usual way.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'oidc-guard/testing'
 *
 * const issuer = await createTestIssuer({ audience: 'orders-api' })
 * const app = createApp({ auth: issuer.options })
 * await request(app).get('/orders').auth(issuer.token({ scope: 'orders:read' }), { type: 'bearer' }).expect(200)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068 (JWT profile for OAuth 2.0 access tokens)
 */
export async function createTestIssuer(options: CreateTestIssuerOptions = {}): Promise<TestIssuer> {
  const transport = options.transport ?? 'fetch'
  if (transport === 'loopback' && options.issuer !== undefined) {
    throw new TypeError('A loopback test issuer is its server URL: leave out "issuer"')
  }
  const algorithm = options.algorithm ?? 'RS256'
  const audience = options.audience ?? 'https://api.test'
  const expiresIn = options.expiresIn ?? 300
  let signingKey = await createTestKey(algorithm)
  let published: JWK[] = [signingKey.publicJwk]
  const server: JwksServer | undefined =
    transport === 'loopback'
      ? await startJwksServer({ keys: published, discovery: true })
      : undefined
  const issuer = server?.issuer ?? options.issuer ?? 'https://issuer.test'
  const context: TokenContext = {
    issuer,
    audience,
    clientId: options.clientId ?? 'test-client',
    subject: options.subject ?? 'test-user',
  }

  let memoryFetches = 0
  const jwksUri = `${issuer.replace(/\/$/, '')}/jwks`
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  async function inMemoryFetch(input: string | URL | Request): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url === discoveryUrl) return json({ issuer, jwks_uri: jwksUri })
    if (url === jwksUri) {
      memoryFetches += 1
      return json({ keys: published })
    }
    return json({ error: 'not_found' }, 404)
  }

  function mint(
    shape: TokenShape,
    tokenOptions: TokenOptions,
    times: { iat?: number; exp?: number; nbf?: number } = {},
  ): string {
    const now = Math.floor(Date.now() / 1000)
    const claims: Record<string, unknown> = {
      iss: issuer,
      iat: times.iat ?? now,
      exp: times.exp ?? now + (tokenOptions.expiresIn ?? expiresIn),
      nbf: times.nbf,
      jti: randomUUID(),
      ...shape.claims,
    }
    for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name]
    const header = {
      alg: signingKey.alg,
      typ: shape.typ,
      kid: signingKey.kid,
      ...tokenOptions.header,
    }
    return signJws(signingKey.privateKey, header, claims, signingKey.alg)
  }

  const generic = (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
    mint(genericShape(input, context), tokenOptions)
  const token = Object.assign(generic, {
    expired: (input: TokenInput = {}, tokenOptions: TokenOptions = {}) => {
      const now = Math.floor(Date.now() / 1000)
      return mint(genericShape(input, context), tokenOptions, {
        iat: now - 2 * HOUR,
        exp: now - HOUR,
      })
    },
    notYetValid: (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
      mint(genericShape(input, context), tokenOptions, {
        nbf: Math.floor(Date.now() / 1000) + HOUR,
      }),
    wrongAudience: (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
      mint(genericShape({ aud: OTHER_AUDIENCE, ...input }, context), tokenOptions),
    wrongIssuer: (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
      mint(genericShape({ iss: OTHER_ISSUER, ...input }, context), tokenOptions),
    badSignature: (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
      alterSignature(generic(input, tokenOptions)),
  }) as TokenMinter
  for (const provider of PROVIDER_NAMES) {
    token[provider] = (input: TokenInput = {}, tokenOptions: TokenOptions = {}) =>
      mint(providerShape(provider, input, context), tokenOptions)
  }

  return {
    issuer,
    audience,
    get options(): SingleIssuerOptions {
      if (transport === 'static') return { issuer, audience, jwks: { keys: [...published] } }
      const base = { issuer, audience, cooldownDuration: 0 }
      return transport === 'fetch' ? { ...base, fetch: inMemoryFetch as typeof fetch } : base
    },
    get jwks() {
      return { keys: [...published] }
    },
    get signingKey() {
      return signingKey
    },
    token,
    jwksFetches: () => server?.jwksFetches() ?? memoryFetches,
    async rotateKeys({ keepPrevious = true } = {}) {
      signingKey = await createTestKey(algorithm)
      published = keepPrevious ? [signingKey.publicJwk, ...published] : [signingKey.publicJwk]
      if (server) server.keys = published
      return signingKey
    },
    async close() {
      await server?.close()
    },
  }
}
