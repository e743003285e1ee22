import { LRUCache } from 'lru-cache'
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '../config/options.js'
import { ConfigurationError } from '../errors/errors.js'
import { parseJws, verifySignature } from '../jose/signature.js'
import { RemoteKeySet } from '../keys/remote-key-set.js'
import type { Denylist } from './denylist.js'

/** Options of `backchannelLogout()` (every adapter) and `createBackchannelLogout()`. */
export interface BackchannelLogoutOptions {
  /** The OpenID provider, exactly as the logout token's `iss`. */
  issuer: string
  /** This relying party's client id: the logout token's `aud` must contain it. */
  clientId: string
  /** Where the logout is recorded: pass the denylist your `authenticate()` routes use. */
  denylist: Denylist
  /** The provider's JWKS URL. Default: discovered from the issuer. */
  jwksUri?: string
  /** Accepted signature algorithms. Default: the asymmetric list (RS*, PS*, ES*, EdDSA). */
  algorithms?: AsymmetricAlgorithm[]
  /** Oldest accepted logout token (`iat`), in seconds. Default 300. */
  maxTokenAge?: number
  /** Allowed clock skew, in seconds. Default 5. */
  clockTolerance?: number
  /**
   * What the logout revokes: the session (`sid`: tokens carrying it) and/or the user (`sub`:
   * their tokens issued before the logout, whichever session). Default `['sid', 'sub']`, since
   * most access tokens carry no `sid`.
   */
  revoke?: ('sid' | 'sub')[]
  /** Largest accepted request body, in bytes. Default 16384. */
  maxBodySize?: number
  /** The `fetch` used for discovery and the JWKS. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** JWKS/discovery timeout, in milliseconds. Default 5000. */
  timeoutDuration?: number
  /** Called after a logout was recorded, with what it named. */
  onLogout?: (logout: { readonly sub?: string; readonly sid?: string }) => void
}

/** What a back-channel logout request carries, as an adapter reads it. */
export interface BackchannelLogoutRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** A parsed form body (`express.urlencoded()`, a body parser) or the raw text, if any. */
  readonly body?: unknown
  /** The raw request stream, read (up to `maxBodySize`) when no body was parsed. */
  readonly stream?: AsyncIterable<Uint8Array | string>
}

/** The answer: 200, or 400 with an OAuth error body; always `Cache-Control: no-store`. */
export interface BackchannelLogoutResponse {
  readonly status: 200 | 400
  readonly headers: Readonly<Record<string, string>>
  /** JSON text on 400, empty on 200. */
  readonly body: string
}

/** The framework-neutral receiver every adapter's `backchannelLogout()` wraps. */
export interface BackchannelLogout {
  /**
   * Reads the `logout_token` of a form-encoded POST, validates it, revokes what it names, and
   * says what to answer. Never rejects: a refused token, or a logout the denylist could not
   * record (the provider may retry it), answers 400 with an error body (§2.8).
   */
  handle(request: BackchannelLogoutRequest): Promise<BackchannelLogoutResponse>
}

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const NO_STORE = { 'cache-control': 'no-store' }

class LogoutRefused extends Error {}

async function readStream(stream: AsyncIterable<Uint8Array | string>, limit: number) {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)
    size += bytes.byteLength
    if (size > limit) throw new LogoutRefused('The request body is too large')
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Builds an OpenID Connect Back-Channel Logout 1.0 receiver. It validates the `logout_token`
 * per §2.6 — signature with the issuer's keys (never a key the token names), `alg` on the
 * allowlist, `typ` `logout+jwt` when present, `iss`, `aud` containing `clientId`, `iat` within
 * `maxTokenAge`, `exp`, `jti` not seen before, `events` with the back-channel logout member,
 * `sid` or `sub`, and no `nonce` — then revokes by `sid` and/or `sub` through the denylist, so
 * every instance sharing it refuses those tokens.
 * @example
 * app.post('/backchannel-logout', backchannelLogout({ issuer, clientId: 'orders-api', denylist }))
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html §2.6–2.8
 */
export function createBackchannelLogout(options: BackchannelLogoutOptions): BackchannelLogout {
  const {
    issuer,
    clientId,
    denylist,
    maxTokenAge = 300,
    clockTolerance = 5,
    maxBodySize = 16_384,
    revoke = ['sid', 'sub'],
  } = options
  if (typeof issuer !== 'string' || !URL.canParse(issuer))
    throw new ConfigurationError('"issuer": expected an http(s) URL')
  if (typeof clientId !== 'string' || clientId === '')
    throw new ConfigurationError('"clientId": required')
  if (typeof denylist?.revoke !== 'function')
    throw new ConfigurationError('"denylist": expected a denylist from createDenylist()')
  const algorithms = new Set<string>(options.algorithms ?? ASYMMETRIC_ALGORITHMS)
  const keySet = new RemoteKeySet({
    issuer,
    jwksUri: options.jwksUri,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutDuration: options.timeoutDuration ?? 5000,
    maxResponseSize: 262_144,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    maxStaleAge: 86_400_000,
    maxKeys: 100,
    realm: 'backchannel-logout',
  })
  // §2.6 step 10: a logout token's jti is accepted once (while its iat is within the window).
  const seen = new LRUCache<string, true>({
    max: 10_000,
    ttl: (maxTokenAge + clockTolerance) * 1000,
  })

  async function readToken(request: BackchannelLogoutRequest): Promise<string> {
    const type = request.headers['content-type']
    if (
      typeof type !== 'string' ||
      !type.toLowerCase().startsWith('application/x-www-form-urlencoded')
    )
      throw new LogoutRefused('Expected an application/x-www-form-urlencoded body')
    let body = request.body
    if ((body === undefined || body === null) && request.stream !== undefined)
      body = await readStream(request.stream, maxBodySize)
    if (Buffer.isBuffer(body)) body = body.toString('utf8')
    let token: unknown
    if (typeof body === 'string') {
      const all = new URLSearchParams(body).getAll('logout_token')
      token = all.length === 1 ? all[0] : undefined
    } else if (body !== null && typeof body === 'object') {
      token = (body as Record<string, unknown>).logout_token
    }
    if (typeof token !== 'string' || token === '')
      throw new LogoutRefused('Expected one logout_token parameter')
    return token
  }

  async function validate(token: string): Promise<Record<string, unknown>> {
    const jws = parseJws(token)
    if (jws === undefined) throw new LogoutRefused('The logout token is malformed')
    const { alg, typ } = jws.header
    if (typeof alg !== 'string' || !algorithms.has(alg))
      throw new LogoutRefused('The logout token algorithm is not accepted')
    // §2.4: explicit typing, when the provider sets it, must say logout+jwt (RFC 8725 §3.11).
    if (
      typ !== undefined &&
      (typeof typ !== 'string' || typ.toLowerCase().replace(/^application\//, '') !== 'logout+jwt')
    )
      throw new LogoutRefused('The logout token type is not accepted')
    if (jws.header.crit !== undefined) throw new LogoutRefused('The logout token is malformed')
    let valid = false
    try {
      const key = await keySet.getKey(jws.header as { alg: string; kid?: string })
      valid = await verifySignature(alg, key, jws.signingInput, jws.signature)
    } catch {
      valid = false
    }
    if (!valid) throw new LogoutRefused('The logout token signature is invalid')
    const claims = jws.claims
    const now = Math.floor(Date.now() / 1000)
    const { iss, aud, iat, exp, jti, events, sub, sid } = claims
    if (iss !== issuer) throw new LogoutRefused('The logout token was issued by another issuer')
    if (!(aud === clientId || (Array.isArray(aud) && aud.includes(clientId))))
      throw new LogoutRefused('The logout token is not meant for this client')
    if (
      typeof iat !== 'number' ||
      iat > now + clockTolerance ||
      now - iat > maxTokenAge + clockTolerance
    )
      throw new LogoutRefused('The logout token issue time is not accepted')
    if (typeof exp !== 'number' || exp <= now - clockTolerance)
      throw new LogoutRefused('The logout token expired')
    if (typeof jti !== 'string' || jti === '')
      throw new LogoutRefused('The logout token has no jti')
    const event =
      events !== null && typeof events === 'object' && !Array.isArray(events)
        ? (events as Record<string, unknown>)[EVENT]
        : undefined
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      throw new LogoutRefused('The logout token has no back-channel logout event')
    // §2.4: a nonce is prohibited, so an ID token can never pass as a logout token.
    if (Object.hasOwn(claims, 'nonce')) throw new LogoutRefused('The logout token has a nonce')
    const hasSub = typeof sub === 'string' && sub !== ''
    const hasSid = typeof sid === 'string' && sid !== ''
    if (!hasSub && !hasSid) throw new LogoutRefused('The logout token has neither sub nor sid')
    if ((sub !== undefined && !hasSub) || (sid !== undefined && !hasSid))
      throw new LogoutRefused('The logout token has an invalid sub or sid')
    if (seen.has(jti)) throw new LogoutRefused('The logout token was used before')
    return claims
  }

  const refuse = (description: string, error = 'invalid_request'): BackchannelLogoutResponse => ({
    status: 400,
    headers: { ...NO_STORE, 'content-type': 'application/json' },
    body: JSON.stringify({ error, error_description: description }),
  })

  return {
    async handle(request) {
      let claims: Record<string, unknown>
      try {
        claims = await validate(await readToken(request))
      } catch (error) {
        return refuse(
          error instanceof LogoutRefused ? error.message : 'The logout token is invalid',
        )
      }
      const sub = claims.sub as string | undefined
      const sid = claims.sid as string | undefined
      try {
        // Every logout token names a session or a user whose tokens are older than now.
        const targets = [
          ...(sid !== undefined && revoke.includes('sid') ? [{ sid }] : []),
          ...(sub !== undefined && revoke.includes('sub') ? [{ sub }] : []),
        ]
        // Only sid given but only sub revocation configured: the session still ends.
        if (targets.length === 0) targets.push(sid !== undefined ? { sid } : { sub: sub as string })
        for (const target of targets) await denylist.revoke(target)
      } catch {
        // §2.8: a logout that failed answers 400 too; the provider may retry (jti not yet seen).
        return refuse('The logout could not be recorded', 'temporarily_unavailable')
      }
      seen.set(claims.jti as string, true)
      try {
        options.onLogout?.({ ...(sub !== undefined && { sub }), ...(sid !== undefined && { sid }) })
      } catch {
        // A failing hook must not change the answer: the logout is recorded.
      }
      return { status: 200, headers: NO_STORE, body: '' }
    },
  }
}
