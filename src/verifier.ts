import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { compactJwsProblem } from './compact-jws.js'
import { InvalidTokenError } from './errors.js'
import { createIssuerRegistry } from './issuer-registry.js'
import { parseJws } from './jws.js'
import type { ResolvedAuthenticateOptions } from './options.js'
import type { AuthContext } from './types.js'

/** Verifies access tokens of every configured issuer; see `createVerifier`. */
export interface Verifier {
  /** The remembered AuthContext of a token verified before and not yet expired, synchronously. */
  lookup(token: string): AuthContext | undefined
  /**
   * Verifies a token and returns its AuthContext, synchronously when the issuer's keys are at
   * hand; throws (or rejects with) an `OidcGuardError`.
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

  // Parsed once here: the issuer is chosen from, and the chosen verifier checks, the same parse.
  function verifyUncached(token: string): AuthContext | Promise<AuthContext> {
    const jws = compactJwsProblem(token) === undefined ? parseJws(token) : undefined
    if (jws === undefined) {
      throw new InvalidTokenError('The access token is malformed', { realm: options.realm })
    }
    const verifier = registry.select(jws.claims.iss)
    return verifier instanceof Promise
      ? verifier.then((found) => found.verify(token, jws))
      : verifier.verify(token, jws)
  }

  function remember(key: string, auth: AuthContext): AuthContext {
    const ttl = Math.min(auth.expiresAt * 1000 - Date.now(), options.tokenCacheMaxAge)
    if (ttl > 0) tokenCache?.set(key, auth, { ttl })
    return auth
  }

  // The hash of the last lookup, so a miss followed by verify() hashes the token once.
  let lastToken: string | undefined
  let lastKey = ''
  function keyOf(token: string): string {
    if (token !== lastToken) {
      lastKey = sha256(token)
      lastToken = token
    }
    return lastKey
  }

  return {
    lookup(token) {
      if (tokenCache === undefined) return undefined
      const key = keyOf(token)
      const cached = tokenCache.get(key)
      if (cached === undefined) return undefined
      if (cached.expiresAt * 1000 > Date.now()) return cached
      tokenCache.delete(key)
      return undefined
    },
    verify(token) {
      if (tokenCache === undefined) return verifyUncached(token)
      const key = keyOf(token)
      const result = verifyUncached(token)
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
    },
  }
}
