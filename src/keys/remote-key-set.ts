import { DESCRIPTIONS } from '../errors/reasons.js'
import { KeyObject } from 'node:crypto'
import { importJWK, type JWK } from 'jose'
import { discoverJwksUri } from './discovery.js'
import { InvalidTokenError, KeySetUnavailableError } from '../errors/errors.js'
import { fetchJson, FetchFailure, type FetchLimits } from './fetch-json.js'
import { isUsableSigningKey, keyFitsAlgorithm } from '../jose/jwk.js'

export interface RemoteKeySetOptions extends FetchLimits {
  readonly issuer: string
  /** Configured JWKS URL; discovered from the issuer when absent. */
  readonly jwksUri: string | undefined
  /** Milliseconds. */
  readonly cooldownDuration: number
  readonly cacheMaxAge: number
  readonly maxStaleAge: number
  readonly maxKeys: number
  readonly realm: string
  /** Called after a refresh dropped a key that was published before. */
  readonly onKeysRemoved?: () => void
  /** Clock, in milliseconds; injectable for tests. */
  readonly now?: () => number
}

interface KeyEntry {
  readonly jwk: JWK
  /** Imported on first use; one KeyObject serves every algorithm the key fits. */
  key?: KeyObject
  importing?: Promise<KeyObject>
}

/** The header members a key is chosen by. Never `jku`, `x5u`, `jwk` or `x5c`. */
export interface KeySelector {
  readonly alg?: string
  readonly kid?: string
}

function keyIdentity(jwk: JWK): string {
  return jwk.kid ?? `${jwk.kty}:${jwk.n ?? jwk.x ?? ''}`
}

/**
 * One issuer's JSON Web Key Set, fetched, cached and refreshed:
 * - an unknown `kid` refetches at most once per `cooldownDuration`, and concurrent requests share
 *   that one fetch;
 * - keys older than the response's `max-age` (bounded by `cooldownDuration` and `cacheMaxAge`)
 *   keep serving while a background refresh runs;
 * - while the endpoint is down, slow or returns garbage, cached keys keep serving for up to
 *   `maxStaleAge` past their freshness.
 *
 * Status rule: a key that cannot be had because fetching failed is our failure (503); a `kid`
 * absent from a key set that was fetched successfully is the token's (401).
 */
export class RemoteKeySet {
  private entries = new Map<string | undefined, KeyEntry[]>()
  private jwksUri: string | undefined
  private freshUntil = Number.NEGATIVE_INFINITY
  private lastAttemptAt = Number.NEGATIVE_INFINITY
  private lastAttemptFailed = false
  private inflight: Promise<void> | undefined
  private readonly now: () => number

  constructor(private readonly options: RemoteKeySetOptions) {
    this.jwksUri = options.jwksUri
    this.now = options.now ?? Date.now
  }

  /**
   * Resolves the verification key for a token header: synchronously when a fresh key set holds
   * an imported key for it (the hot path), else after fetching or importing.
   */
  getKey(header: KeySelector): KeyObject | Promise<KeyObject> {
    if (header.kid !== undefined && typeof header.kid !== 'string') throw this.noMatchingKey()
    const now = this.now()
    if (now > this.freshUntil + this.options.maxStaleAge)
      return this.getKeyAfterRefresh(header, now)
    if (now > this.freshUntil && this.mayFetch(now)) {
      // Stale-while-revalidate: this request uses the cached keys.
      this.refresh().catch(() => {})
    }
    const entry = this.select(header)
    if (entry === undefined) return this.getUnknownKey(header, now)
    return entry.key ?? this.importKey(entry, header.alg as string)
  }

  // Never loaded, or stale for longer than we may serve: the keys must be fetched now.
  private async getKeyAfterRefresh(header: KeySelector, now: number): Promise<KeyObject> {
    await this.refreshIfAllowed(now)
    if (now > this.freshUntil + this.options.maxStaleAge) throw this.unavailable(now)
    const entry = this.select(header)
    if (entry === undefined) return this.getUnknownKey(header, now)
    return entry.key ?? this.importKey(entry, header.alg as string)
  }

  private async getUnknownKey(header: KeySelector, now: number): Promise<KeyObject> {
    await this.refreshIfAllowed(now)
    const entry = this.select(header)
    if (entry !== undefined) return entry.key ?? this.importKey(entry, header.alg as string)
    if (this.lastAttemptFailed) throw this.unavailable(now)
    throw this.noMatchingKey()
  }

  private noMatchingKey(cause?: unknown): InvalidTokenError {
    return new InvalidTokenError(DESCRIPTIONS.noKey, {
      cause,
      realm: this.options.realm,
    })
  }

  /** How many keys are held now. */
  get size(): number {
    let count = 0
    for (const list of this.entries.values()) count += list.length
    return count
  }

  /** Forgets every key; the next request fetches again. */
  clear(): void {
    this.entries = new Map()
    this.jwksUri = this.options.jwksUri
    this.freshUntil = Number.NEGATIVE_INFINITY
    this.lastAttemptAt = Number.NEGATIVE_INFINITY
    this.lastAttemptFailed = false
  }

  private mayFetch(now: number): boolean {
    return now - this.lastAttemptAt >= this.options.cooldownDuration
  }

  private async refreshIfAllowed(now: number): Promise<void> {
    if (this.inflight) return this.inflight.catch(() => {})
    if (this.mayFetch(now)) return this.refresh().catch(() => {})
  }

  private unavailable(now: number): KeySetUnavailableError {
    const wait = this.options.cooldownDuration - (now - this.lastAttemptAt)
    return new KeySetUnavailableError(DESCRIPTIONS.keysUnavailable, {
      realm: this.options.realm,
      retryAfter: Math.max(1, Math.ceil(wait / 1000)),
    })
  }

  private select(header: KeySelector): KeyEntry | undefined {
    const { alg, kid } = header
    if (typeof alg !== 'string') return undefined
    if (kid !== undefined) {
      if (typeof kid !== 'string') return undefined
      const candidates = this.entries.get(kid)
      if (candidates === undefined) return undefined
      for (const entry of candidates) if (keyFitsAlgorithm(entry.jwk, alg)) return entry
      return undefined
    }
    // No `kid`: only an unambiguous key set is usable, so a token cannot make us try every key.
    let found: KeyEntry | undefined
    for (const candidates of this.entries.values()) {
      for (const entry of candidates) {
        if (!keyFitsAlgorithm(entry.jwk, alg)) continue
        if (found !== undefined) return undefined
        found = entry
      }
    }
    return found
  }

  // jose validates and imports the JWK once; the KeyObject then verifies synchronously.
  private importKey(entry: KeyEntry, alg: string): Promise<KeyObject> {
    entry.importing ??= importJWK(entry.jwk, alg).then(
      (imported) => {
        entry.key = KeyObject.from(imported as Parameters<typeof KeyObject.from>[0])
        return entry.key
      },
      (cause: unknown) => {
        entry.importing = undefined
        throw this.noMatchingKey(cause)
      },
    )
    return entry.importing
  }

  /** One fetch at a time: concurrent callers share the promise in flight. */
  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.now()
    try {
      this.jwksUri ??= await discoverJwksUri(this.options.issuer, this.options)
      const { json, maxAge } = await fetchJson(this.jwksUri, this.options, 'jwks')
      this.install(this.parse(json), maxAge)
      this.lastAttemptFailed = false
    } catch (error) {
      this.lastAttemptFailed = true
      throw error
    }
  }

  private parse(json: unknown): Map<string | undefined, KeyEntry[]> {
    const keys = (json as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys)) throw new FetchFailure('invalid-json', 'not a JWK Set')
    if (keys.length > this.options.maxKeys) {
      throw new FetchFailure('too-large', `more than ${this.options.maxKeys} keys`)
    }
    const entries = new Map<string | undefined, KeyEntry[]>()
    for (const jwk of keys) {
      if (!isUsableSigningKey(jwk)) continue
      const list = entries.get(jwk.kid)
      const entry: KeyEntry = { jwk }
      if (list) list.push(entry)
      else entries.set(jwk.kid, [entry])
    }
    return entries
  }

  private install(entries: Map<string | undefined, KeyEntry[]>, maxAge: number | undefined): void {
    const now = this.now()
    const next = new Set<string>()
    for (const list of entries.values()) for (const entry of list) next.add(keyIdentity(entry.jwk))
    let removed = false
    for (const list of this.entries.values()) {
      for (const entry of list) if (!next.has(keyIdentity(entry.jwk))) removed = true
    }
    this.entries = entries
    const { cooldownDuration, cacheMaxAge } = this.options
    const lifetime = maxAge === undefined ? cacheMaxAge : maxAge * 1000
    this.freshUntil = now + Math.min(cacheMaxAge, Math.max(cooldownDuration, lifetime))
    if (removed) this.options.onKeysRemoved?.()
  }
}
