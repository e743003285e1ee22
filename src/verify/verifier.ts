import { DESCRIPTIONS } from '../errors/reasons.js'
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { InvalidTokenError } from '../errors/errors.js'
import { checkTokenSyntax } from '../http/extract-token.js'
import { createIssuerRegistry } from './issuer-registry.js'
import { parseJws } from '../jose/signature.js'
import type { ResolvedAuthenticateOptions } from '../config/options.js'
import type { AuthContext } from './auth-context.js'

// The fetch hook's types, for the authenticator's Instrumentation (which does not see keys/).
export type {
  FetchEnd,
  FetchFailureReason,
  FetchHook,
  FetchKind,
  FetchStart,
} from '../keys/fetch-json.js'

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
  /** Verified-token cache lookups since creation: hits, and misses (verifications run). */
  lookups(): TokenCacheLookups
  /** Drops cached keys and verified tokens. */
  clear(): void
}

/** Verified-token cache lookups since the authenticator was created. */
export interface TokenCacheLookups {
  readonly hits: number
  readonly misses: number
}

/**
 * Runs one verification that is not a cache hit: it must call `verify` once and return its
 * result unchanged (the same value, or a promise settling the same way). Instrumentation uses
 * it to time the verification and make it the active span while keys are fetched.
 */
export type VerificationHook = (
  verify: () => AuthContext | Promise<AuthContext>,
) => AuthContext | Promise<AuthContext>

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
  const instrumentation = options.instrumentation
  const observe = instrumentation?.runVerification?.bind(instrumentation)
  // Plain counters: two increments cost nothing next to the SHA-256 of a lookup.
  let hits = 0
  let misses = 0

  // Parsed once here: the issuer is chosen from, and the chosen verifier checks, the same parse.
  function verifyUncached(token: string): AuthContext | Promise<AuthContext> {
    // RFC 6750 §2.1 syntax (400) before anything else; a remembered token passed it already.
    checkTokenSyntax(token, options.realm)
    const jws = parseJws(token)
    if (jws === undefined) {
      throw new InvalidTokenError(DESCRIPTIONS.malformed, { realm: options.realm })
    }
    const verifier = registry.select(jws.claims.iss)
    return verifier instanceof Promise
      ? verifier.then((found) => found.verify(token, jws))
      : verifier.verify(token, jws)
  }

  function verifyMiss(token: string): AuthContext | Promise<AuthContext> {
    return observe === undefined ? verifyUncached(token) : observe(() => verifyUncached(token))
  }

  function remember(key: string, auth: AuthContext): AuthContext {
    const ttl = Math.min(auth.expiresAt * 1000 - Date.now(), options.tokenCacheMaxAge)
    if (ttl > 0) tokenCache?.set(key, auth, { ttl })
    return auth
  }

  return {
    verify(token) {
      if (tokenCache === undefined) {
        misses += 1
        return verifyMiss(token)
      }
      const key = sha256(token)
      const cached = tokenCache.get(key)
      // lru-cache expires entries on its own monotonic clock; `exp` is wall-clock time.
      if (cached !== undefined && cached.expiresAt * 1000 > Date.now()) {
        hits += 1
        return cached
      }
      misses += 1
      const result = verifyMiss(token)
      return result instanceof Promise
        ? result.then((auth) => remember(key, auth))
        : remember(key, result)
    },
    lookups: () => ({ hits, misses }),
    stats() {
      return { verifiedTokens: tokenCache?.size ?? 0, ...registry.stats() }
    },
    clear() {
      tokenCache?.clear()
      registry.clear()
    },
  }
}
