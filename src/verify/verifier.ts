import { DESCRIPTIONS } from '../errors/reasons.js'
import { andThen } from '../maybe-async.js'
import { InvalidTokenError } from '../errors/errors.js'
import { checkTokenSyntax } from '../http/extract-token.js'
import { createIssuerRegistry } from './issuer-registry.js'
import { createTokenCache, tokenSha256, type CachedToken } from './token-cache.js'
import { parseJws, type ParsedJws } from '../jose/signature.js'
import type { IssuerVerifier } from './issuer-verifier.js'
import {
  createIntrospectors,
  type IntrospectionStage,
} from '../introspection/introspection-stage.js'
import type { ResolvedAuthenticateOptions } from '../config/options.js'
import type { AuthContext } from './auth-context.js'

// The fetch hook's types, for the authenticator's Instrumentation (which does not see keys/).
export type { FetchEnd, FetchHook, FetchKind, FetchStart } from '../keys/fetch-json.js'

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
  /** Resolves once the keys of every configured (non-template) issuer are at hand. */
  ready(): Promise<void>
  /** Drops cached keys and verified tokens. */
  clear(): void
}

/** Verified-token cache lookups since the authenticator was created. */
export interface TokenCacheLookups {
  /** Tokens answered from the cache. */
  readonly hits: number
  /** Tokens that had to be verified (every token when the cache is off). */
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

/** What a remembered token is checked against: the generation of whoever vouched for it. */
interface Voucher {
  readonly generation: number
}

// An introspection answer does not depend on local keys: its generation never moves.
const INTROSPECTED: Voucher = Object.freeze({ generation: 0 })

/** A remembered token: its context, who verified it, and until when it holds. */
interface Remembered extends CachedToken {
  readonly auth: AuthContext
  readonly issuer: Voucher
  /** The issuer's generation at verification; a key removal there since makes it stale. */
  readonly generation: number
  /** Milliseconds since the epoch: `exp`, `iat` + `maxTokenAge`, `tokenCacheMaxAge`. */
  readonly until: number
}

/**
 * Creates the verifier: the token's issuer picks one of the configured issuers, whose verifier
 * checks it. A verified token is remembered (found by the end of its signature), and a hit is
 * honoured only for the exact same token, while every time limit of its verification still
 * holds (`exp`, `maxTokenAge`, `tokenCacheMaxAge`) and its issuer has not stopped publishing a
 * key since (checked per issuer, by key material).
 */
export function createVerifier(options: ResolvedAuthenticateOptions): Verifier {
  const tokenCache =
    options.tokenCacheSize > 0 && options.tokenCacheMaxAge > 0
      ? createTokenCache<Remembered>(options.tokenCacheSize)
      : undefined
  const registry = createIssuerRegistry(options)
  // RFC 7662: opaque tokens (and, per issuer, JWTs too) are asked about online.
  const introspection = createIntrospectors(options)
  const instrumentation = options.instrumentation
  const observe = instrumentation?.runVerification?.bind(instrumentation)
  // Plain counters: two increments cost nothing next to a lookup.
  let hits = 0
  let misses = 0

  // Parsed once here: the issuer is chosen from, and the chosen verifier checks, the same parse.
  function verifyUncached(token: string): AuthContext | Promise<AuthContext> {
    // RFC 6750 §2.1 syntax (400) before anything else; a remembered token passed it already.
    checkTokenSyntax(token, options.realm)
    const jws = parseJws(token)
    if (jws === undefined) {
      if (introspection !== undefined) return introspectOpaque(introspection, token)
      throw new InvalidTokenError(DESCRIPTIONS.malformed, { realm: options.realm })
    }
    const selected = registry.select(jws.claims.iss)
    return andThen(selected, (issuer) => verifyWith(issuer, token, jws))
  }

  async function introspectOpaque(stage: IntrospectionStage, token: string): Promise<AuthContext> {
    // The introspection stage's own caches (answers, single flight) are shared by every token
    // sent to it, including ones never verified: keyed by `tokenSha256`, computed only here and
    // in `verifyWith`, on a miss of the token cache (off the hot path).
    const auth = await stage.opaque(token, tokenSha256(token))
    if (tokenCache === undefined) return auth
    const until = Date.now() + stage.cacheLimit(auth)
    return remember(token, auth, INTROSPECTED, 0, Math.min(auth.expiresAt * 1000, until))
  }

  function verifyWith(
    issuer: IssuerVerifier,
    token: string,
    jws: ParsedJws,
  ): AuthContext | Promise<AuthContext> {
    // Read before verifying: a removal during an in-flight check makes the entry stale.
    const generation = issuer.generation
    let result = issuer.verify(token, jws)
    // The online check of a JWT (`tokens: 'all'`) answers before the context is remembered.
    if (introspection !== undefined)
      result = andThen(result, (auth) => introspection.confirm(token, tokenSha256(token), auth))
    if (tokenCache === undefined) return result
    return andThen(result, (auth) => {
      const limit = introspection === undefined ? Infinity : introspection.cacheLimit(auth)
      return remember(
        token,
        auth,
        issuer,
        generation,
        Math.min(issuer.validUntil(auth), Date.now() + limit),
      )
    })
  }

  function remember(
    token: string,
    auth: AuthContext,
    issuer: Voucher,
    generation: number,
    validUntil: number,
  ): AuthContext {
    const now = Date.now()
    const until = Math.min(validUntil, now + options.tokenCacheMaxAge)
    if (until > now) tokenCache?.set({ token, auth, issuer, generation, until })
    return auth
  }

  // A verification that is not a cache hit, seen by the instrumentation when there is one.
  function verifyMiss(token: string): AuthContext | Promise<AuthContext> {
    misses += 1
    return observe === undefined ? verifyUncached(token) : observe(() => verifyUncached(token))
  }

  return {
    verify(token) {
      if (tokenCache === undefined) return verifyMiss(token)
      const cached = tokenCache.get(token)
      // The limits are wall-clock time, checked here on each hit; the cache keeps no TTL of its
      // own (an LRU's per-entry TTL reads a clock and arms a timer per lookup). A stale entry is
      // dropped now, so the cache holds only what can still be served, plus what its bound evicts.
      if (cached !== undefined) {
        if (cached.until > Date.now() && cached.generation === cached.issuer.generation) {
          hits += 1
          return cached.auth
        }
        tokenCache.delete(token)
      }
      return verifyMiss(token)
    },
    lookups: () => ({ hits, misses }),
    stats() {
      return { verifiedTokens: tokenCache?.size ?? 0, ...registry.stats() }
    },
    ready: () => registry.ready(),
    clear() {
      tokenCache?.clear()
      registry.clear()
      introspection?.clear()
    },
  }
}
