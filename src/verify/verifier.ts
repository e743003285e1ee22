import { DESCRIPTIONS } from '../errors/reasons.js'
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { InvalidTokenError } from '../errors/errors.js'
import { checkTokenSyntax } from '../http/extract-token.js'
import { createIssuerRegistry } from './issuer-registry.js'
import { createIntrospectors } from '../introspection/introspection-stage.js'
import { parseJws } from '../jose/signature.js'
import type { ResolvedAuthenticateOptions } from '../config/options.js'
import type { AuthContext } from './auth-context.js'

/** Verifies access tokens of every configured issuer; see `createVerifier`. */
export interface Verifier {
  /**
   * The AuthContext of a token: synchronously when it was verified before and has not expired
   * (or is HS*), else once its signature is checked. Throws (or rejects with) an
   * `OidcGuardError`.
   */
  verify(token: string): AuthContext | Promise<AuthContext>
  /** What the caches hold now; see `AuthenticatorStats`. */
  stats(): AuthenticatorStats
  /** Drops cached keys and verified tokens. */
  clear(): void
}

/** What an authenticator's bounded caches hold, for monitoring. */
export interface AuthenticatorStats {
  /** Verified tokens remembered (at most `tokenCacheSize`). */
  readonly verifiedTokens: number
  /** Concrete issuers with a key set: configured ones plus tenants held (at most `maxTenants` per template). */
  readonly issuers: number
  /** Keys held across those key sets (at most `maxKeys` each). */
  readonly keys: number
  /** Unknown tenants remembered (at most `unknownTenantCacheSize` per template). */
  readonly unknownTenants: number
}

// crypto.hash (Node >= 20.12) hashes in one call, without a Hash object per request.
const sha256 = (token: string): string => hash('sha256', token, 'base64url')

/**
 * Creates the verifier: the token's issuer picks one of the configured issuers, whose verifier
 * checks it. A verified token is remembered (keyed by its SHA-256, never past its `exp`), so a
 * repeat skips the signature check; the cache is dropped whenever an issuer stops publishing a
 * key, so a removed key cannot live on through it.
 */
export function createVerifier(options: ResolvedAuthenticateOptions): Verifier {
  const tokenCache =
    options.tokenCacheSize > 0 && options.tokenCacheMaxAge > 0
      ? new LRUCache<string, AuthContext>({ max: options.tokenCacheSize })
      : undefined
  const registry = createIssuerRegistry(options, () => tokenCache?.clear())
  // RFC 7662: opaque tokens (and, per issuer, JWTs too) are asked about online.
  const introspection = createIntrospectors(options)

  // Parsed once here: the issuer is chosen from, and the chosen verifier checks, the same parse.
  function verifyUncached(token: string, key: string): AuthContext | Promise<AuthContext> {
    // RFC 6750 §2.1 syntax (400) before anything else; a remembered token passed it already.
    checkTokenSyntax(token, options.realm)
    const jws = parseJws(token)
    if (jws === undefined) {
      if (introspection !== undefined) return introspection.opaque(token, key)
      throw new InvalidTokenError(DESCRIPTIONS.malformed, { realm: options.realm })
    }
    const verifier = registry.select(jws.claims.iss)
    const verified =
      verifier instanceof Promise
        ? verifier.then((found) => found.verify(token, jws))
        : verifier.verify(token, jws)
    return introspection === undefined ? verified : introspection.confirm(token, key, verified)
  }

  function remember(key: string, auth: AuthContext): AuthContext {
    const ttl = Math.min(
      auth.expiresAt * 1000 - Date.now(),
      options.tokenCacheMaxAge,
      introspection?.cacheLimit(auth) ?? Infinity,
    )
    if (ttl > 0) tokenCache?.set(key, auth, { ttl })
    return auth
  }

  return {
    verify(token) {
      const key = sha256(token)
      if (tokenCache === undefined) return verifyUncached(token, key)
      const cached = tokenCache.get(key)
      // lru-cache expires entries on its own monotonic clock; `exp` is wall-clock time.
      if (cached !== undefined && cached.expiresAt * 1000 > Date.now()) return cached
      const result = verifyUncached(token, key)
      return result instanceof Promise
        ? result.then((auth) => remember(key, auth))
        : remember(key, result)
    },
    stats() {
      return { verifiedTokens: tokenCache?.size ?? 0, ...registry.stats() }
    },
    clear() {
      tokenCache?.clear()
      registry.clear()
      introspection?.clear()
    },
  }
}
