import { DESCRIPTIONS } from '../errors/reasons.js'
import { KeyObject } from 'node:crypto'
import { importJWK, type JWK } from 'jose'
import { LRUCache } from 'lru-cache'
import { discoverJwksUri } from './discovery.js'
import { InvalidTokenError, KeySetUnavailableError, type KeySetWarning } from '../errors/errors.js'
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
  /**
   * Shortest time between two fetches, in milliseconds. Default: 1000, or `cooldownDuration` when
   * that is shorter. Also the first step of the retry backoff after a failure.
   */
  readonly minRefetchInterval?: number
  /** Called after a refresh dropped a key that was published before. */
  readonly onKeysRemoved?: () => void
  /** Called once per kind of fetch failure (default: `process.emitWarning`). */
  readonly onWarning?: (warning: KeySetWarning) => void
  /** Clock, in milliseconds; injectable for tests. */
  readonly now?: () => number
}

interface KeyEntry {
  readonly jwk: JWK
  /** The JWK as published, to tell a republished key from new material under the same identity. */
  readonly text: string
  /** Imported on first use; one KeyObject serves every algorithm the key fits. */
  key?: KeyObject
  importing?: Promise<KeyObject>
  /** Consecutive successful fetches that did not publish this key (see MISSES_BEFORE_REMOVAL). */
  misses: number
}

type KeyMap = Map<string | undefined, KeyEntry[]>

/** The header members a key is chosen by. Never `jku`, `x5u`, `jwk` or `x5c`. */
export interface KeySelector {
  readonly alg?: string
  readonly kid?: string
}

/**
 * What identifies one published key across fetches: its `kid` (else its type and material). The
 * material itself is compared as published (`KeyEntry.text`): new material under a known
 * identity replaces the old key at once, so tokens verified with the old one are verified again.
 */
export function keyIdentity(jwk: JWK): string {
  return jwk.kid ?? `${jwk.kty}:${jwk.n ?? jwk.x ?? ''}`
}

/**
 * How many consecutive successful fetches (at least `minRefetchInterval` apart, 1 s by default)
 * must miss a published key before tokens signed with it are refused. A provider whose nodes are
 * out of sync may answer once or twice without a key it still signs with; a key withdrawn
 * because it leaked is gone from every answer, and is refused about two seconds after the
 * first fetch that missed it (the confirmation fetches are scheduled, not left to traffic).
 */
export const MISSES_BEFORE_REMOVAL = 3

/**
 * First sightings that may wait for corroboration per cooldown; later ones are answered at once,
 * so a sustained flood holds no requests (see `RemoteKeySet`).
 */
const CORROBORATION_WAITS = 8
/** Unknown kids remembered while refetches need corroboration (see `RemoteKeySet`). */
const MAX_SIGHTINGS = 1_000
const DEFAULT_MIN_REFETCH_INTERVAL = 1_000
const noop = () => {}

type Reason = 'load' | 'refresh' | 'unknown-kid' | 'confirm'

/**
 * One issuer's JSON Web Key Set, fetched, cached and refreshed.
 *
 * Rotation at any moment, floods at bounded cost. A `kid` not in the set may be a key the
 * provider has just published or one an attacker made up; nothing unauthenticated tells them
 * apart, so the policy bounds the cost of being wrong either way:
 * - fetches are single-flight and at least `minRefetchInterval` (1 s) apart, whatever happens: a
 *   request for an unknown kid arriving sooner waits for that slot instead of being refused;
 * - the `cooldownDuration` (30 s) starts only after a refetch for an unknown kid found nothing new,
 *   not after every fetch: a rotation right after a fetch (an instance that just started) is
 *   picked up within about a second;
 * - during that cooldown, an unknown kid triggers a refetch only when corroborated: seen in a
 *   second request, and not already looked for by a fetch that started after its first
 *   sighting. A rotation brings many requests with the same new kid (every client's new token
 *   carries it); a flood of made-up kids brings each once, or repeats one already looked for. So a
 *   flood costs one fetch per cooldown, a rotation during a flood is picked up within about a
 *   second, and an attacker who sends every made-up kid twice still costs at most one fetch per
 *   `minRefetchInterval`. A first sighting waits (at most `minRefetchInterval`, sharing one timer)
 *   for the fetch a second sighting may trigger, so even the first request of a rotation is
 *   accepted; only the first CORROBORATION_WAITS (8) first sightings of a cooldown may wait, so
 *   a flood holds no requests: in a sustained flood a rotation's first request may get 401. Finding a new key does not end a
 *   running cooldown.
 *
 * Failures: keys older than the response's `max-age` (bounded by `cooldownDuration` and
 * `cacheMaxAge`) keep serving while a background refresh runs; while the endpoint is down, slow
 * or returns garbage (an empty key set included), cached keys keep serving for up to
 * `maxStaleAge` past their freshness. Failed fetches are retried after 1 s, doubling up to
 * `cooldownDuration`, so an endpoint that comes back is used at once.
 *
 * Removal: a key missing from the set is refused only after `MISSES_BEFORE_REMOVAL` consecutive
 * fetches missed it; then `onKeysRemoved` runs (the verified-token cache is dropped).
 *
 * Status rule: a key that cannot be had because fetching failed is our failure (503, with the
 * failure as `cause`); a `kid` absent from a key set that was fetched successfully is the
 * token's (401).
 */
export class RemoteKeySet {
  private entries: KeyMap = new Map()
  private jwksUri: string | undefined
  /** When `jwksUri` was last read from the discovery document. */
  private discoveredAt = Number.NEGATIVE_INFINITY
  private freshUntil = Number.NEGATIVE_INFINITY
  /** The earliest time the next fetch may start (minimum interval, or the failure backoff). */
  private nextFetchAt = Number.NEGATIVE_INFINITY
  private failures = 0
  private lastFailure: FetchFailure | undefined
  /** Until then, unknown kids refetch only when corroborated (a refetch just found nothing). */
  private quietUntil = Number.NEGATIVE_INFINITY
  /** Fetches started so far; a sighting before the current count has been looked for. */
  private fetchesStarted = 0
  private readonly sightings = new LRUCache<string, { count: number; fetch: number }>({
    max: MAX_SIGHTINGS,
  })
  private inflight: Promise<void> | undefined
  /** Bumped by `clear()`: a fetch started before must not install its keys afterwards. */
  private generation = 0
  private controller: AbortController | undefined
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private window: { promise: Promise<void>; end: () => void; timer: NodeJS.Timeout } | undefined
  /** Kids the last fetch confirmed gone: refused at once, a refetch would only confirm it again. */
  private removedKids = new Set<string>()
  /** First sightings that may still wait in this cooldown (CORROBORATION_WAITS). */
  private waitsLeft = 0
  private readonly warned = new Set<string>()
  private readonly now: () => number
  private readonly minInterval: number

  constructor(private readonly options: RemoteKeySetOptions) {
    this.jwksUri = options.jwksUri
    this.now = options.now ?? Date.now
    this.minInterval =
      options.minRefetchInterval ?? Math.min(DEFAULT_MIN_REFETCH_INTERVAL, options.cooldownDuration)
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
    if (now > this.freshUntil && now >= this.nextFetchAt) {
      // Stale-while-revalidate: this request uses the cached keys.
      this.refresh('refresh').catch(noop)
    }
    const entry = this.select(header)
    if (entry === undefined) return this.getUnknownKey(header, now)
    return entry.key ?? this.importKey(entry, header.alg as string)
  }

  /**
   * Resolves once keys are at hand: fetched now (ignoring the retry backoff) unless a usable key
   * set is held. For startup checks (`authenticator.ready()`).
   * @throws KeySetUnavailableError with the failure as `cause`.
   */
  async ready(): Promise<void> {
    if (this.size > 0 && this.now() <= this.freshUntil + this.options.maxStaleAge) return
    await (this.inflight ?? this.refresh('load')).catch(noop)
    if (this.size === 0) throw this.unavailable(this.now())
  }

  // Never loaded, or stale for longer than we may serve: the keys must be fetched now.
  private async getKeyAfterRefresh(header: KeySelector, now: number): Promise<KeyObject> {
    if (this.inflight) await this.inflight.catch(noop)
    else if (now >= this.nextFetchAt) await this.refresh('load').catch(noop)
    if (this.now() > this.freshUntil + this.options.maxStaleAge) throw this.unavailable(this.now())
    const entry = this.select(header)
    if (entry === undefined) return this.getUnknownKey(header, now)
    return entry.key ?? this.importKey(entry, header.alg as string)
  }

  private async getUnknownKey(header: KeySelector, now: number): Promise<KeyObject> {
    if (this.inflight) await this.inflight.catch(noop)
    else {
      const decision = this.refetchFor(header.kid ?? '', now)
      if (decision === 'fetch') {
        // Within the minimum interval of the last fetch: wait for the next slot (under a second).
        await this.refresh('unknown-kid', Math.max(0, this.nextFetchAt - now)).catch(noop)
      } else if (decision === 'wait') await this.corroborationWindow()
    }
    const entry = this.select(header)
    if (entry !== undefined) return entry.key ?? this.importKey(entry, header.alg as string)
    if (this.lastFailure !== undefined) throw this.unavailable(this.now())
    throw this.noMatchingKey()
  }

  // The refetch policy for a kid not in the set (see the class comment): fetch, refuse, or wait
  // (a first sighting during the cooldown) for a fetch that a second sighting may trigger.
  private refetchFor(kid: string, now: number): 'fetch' | 'wait' | 'refuse' {
    // After a failure the backoff decides; the caller answers 503 meanwhile.
    if (this.lastFailure !== undefined) return now >= this.nextFetchAt ? 'fetch' : 'refuse'
    if (this.removedKids.has(kid)) return 'refuse'
    if (now >= this.quietUntil) return 'fetch'
    const seen = this.sightings.get(kid)
    if (seen === undefined) {
      this.sightings.set(kid, { count: 1, fetch: this.fetchesStarted })
      if (this.waitsLeft === 0) return 'refuse'
      this.waitsLeft -= 1
      return 'wait'
    }
    seen.count += 1
    return seen.fetch === this.fetchesStarted ? 'fetch' : 'refuse'
  }

  /**
   * One shared wait for every first sighting: it ends when a fetch completes (a second sighting
   * of some kid triggered it) or after `minRefetchInterval`. So the first request bearing a
   * just-published kid is answered from the fetch its successors trigger, and a made-up kid is
   * held at most that long, at no fetch.
   */
  private corroborationWindow(): Promise<void> {
    if (this.minInterval === 0) return Promise.resolve()
    if (this.window === undefined) {
      let end!: () => void
      const promise = new Promise<void>((resolve) => (end = resolve))
      const timer = setTimeout(() => this.endWindow(), this.minInterval)
      this.window = { promise, end, timer }
    }
    return this.window.promise
  }

  private endWindow(): void {
    const window = this.window
    if (window === undefined) return
    this.window = undefined
    clearTimeout(window.timer)
    window.end()
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

  /**
   * Forgets every key; the next request fetches again. A fetch in flight is cancelled and cannot
   * install its keys afterwards, and no timer is left behind.
   */
  clear(): void {
    this.generation += 1
    this.controller?.abort()
    this.controller = undefined
    clearTimeout(this.timer)
    this.timer = undefined
    this.wake?.()
    this.wake = undefined
    this.endWindow()
    this.inflight = undefined
    this.entries = new Map()
    this.jwksUri = this.options.jwksUri
    this.discoveredAt = Number.NEGATIVE_INFINITY
    this.freshUntil = Number.NEGATIVE_INFINITY
    this.nextFetchAt = Number.NEGATIVE_INFINITY
    this.quietUntil = Number.NEGATIVE_INFINITY
    this.failures = 0
    this.lastFailure = undefined
    this.sightings.clear()
  }

  private unavailable(now: number): KeySetUnavailableError {
    const failure = this.lastFailure
    return new KeySetUnavailableError(DESCRIPTIONS.keysUnavailable, {
      realm: this.options.realm,
      retryAfter: Math.max(1, Math.ceil((this.nextFetchAt - now) / 1000)),
      ...(failure && { cause: failure, failure: failure.details }),
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

  /** One fetch at a time: concurrent callers share the promise in flight (delay included). */
  private refresh(reason: Reason, delay = 0): Promise<void> {
    if (this.inflight) return this.inflight
    const generation = this.generation
    const run = delay > 0 ? this.sleep(delay).then(() => this.load(reason, generation)) : undefined
    const inflight = (run ?? this.load(reason, generation)).finally(() => {
      if (this.inflight === inflight) this.inflight = undefined
      this.endWindow()
    })
    this.inflight = inflight
    return inflight
  }

  // A timer `clear()` can cut short, so a closed key set leaves nothing pending.
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, ms)
    })
  }

  private async load(reason: Reason, generation: number): Promise<void> {
    if (generation !== this.generation) return
    this.timer = undefined
    this.fetchesStarted += 1
    const started = this.now()
    const controller = (this.controller = new AbortController())
    try {
      const { entries, maxAge } = await this.fetchKeys(reason, controller.signal, generation)
      if (generation !== this.generation) return
      const added = this.install(entries, maxAge)
      this.failures = 0
      this.lastFailure = undefined
      this.nextFetchAt = started + this.minInterval
      // A refetch for an unknown kid that found nothing starts the cooldown. One that found a
      // new key leaves a running cooldown alone: a rotation during a flood must not hand the
      // flood another fetch.
      if (reason === 'unknown-kid' && !added) {
        this.quietUntil = this.now() + this.options.cooldownDuration
        this.waitsLeft = CORROBORATION_WAITS
      }
      if (added) this.sightings.clear()
      this.scheduleConfirmation()
    } catch (error) {
      if (generation !== this.generation) return
      const failure =
        error instanceof FetchFailure
          ? error
          : new FetchFailure(
              'network',
              'fetch failed',
              { resource: 'jwks', url: this.jwksUri ?? this.options.issuer },
              { cause: error },
            )
      this.failures += 1
      this.lastFailure = failure
      // 1 s, 2 s, 4 s … up to the cooldown, counted from the end of the failed attempt.
      const backoff = Math.min(
        this.options.cooldownDuration,
        this.minInterval * 2 ** Math.min(this.failures - 1, 30),
      )
      this.nextFetchAt = this.now() + backoff
      this.warn(failure)
      this.scheduleConfirmation()
      throw failure
    } finally {
      if (this.controller === controller) this.controller = undefined
    }
  }

  private async fetchKeys(
    reason: Reason,
    signal: AbortSignal,
    generation: number,
  ): Promise<{ entries: KeyMap; maxAge: number | undefined }> {
    const discovered = this.options.jwksUri === undefined
    const stale = (age: number) => this.now() - this.discoveredAt >= age
    let justDiscovered = false
    if (discovered && (this.jwksUri === undefined || stale(this.options.cacheMaxAge))) {
      await this.discover(signal, generation)
      justDiscovered = true
    }
    let result: { entries: KeyMap; maxAge: number | undefined }
    try {
      result = await this.fetchFrom(this.jwksUri as string, signal)
    } catch (failure) {
      // The provider may have moved its keys: read discovery again, once, before giving up.
      if (!discovered || justDiscovered || !(failure instanceof FetchFailure)) throw failure
      if (!(await this.rediscover(signal, generation))) throw failure
      return this.fetchFrom(this.jwksUri as string, signal)
    }
    // An unknown kid the set does not have: has the provider moved its keys? (At most once per
    // cooldown, so a made-up-kid flood costs one discovery fetch per cooldown as well.)
    if (
      discovered &&
      !justDiscovered &&
      reason === 'unknown-kid' &&
      !this.hasNewKey(result.entries) &&
      stale(this.options.cooldownDuration) &&
      (await this.rediscover(signal, generation).catch(() => false))
    ) {
      return this.fetchFrom(this.jwksUri as string, signal)
    }
    return result
  }

  private async discover(signal: AbortSignal, generation: number): Promise<void> {
    const uri = await discoverJwksUri(this.options.issuer, this.options, signal)
    if (generation !== this.generation)
      throw new FetchFailure('aborted', 'closed', { resource: 'discovery', url: uri })
    this.jwksUri = uri
    this.discoveredAt = this.now()
  }

  /** Reads discovery again; true when it names another `jwks_uri`. */
  private async rediscover(signal: AbortSignal, generation: number): Promise<boolean> {
    const previous = this.jwksUri
    await this.discover(signal, generation)
    return this.jwksUri !== previous
  }

  private async fetchFrom(
    url: string,
    signal: AbortSignal,
  ): Promise<{ entries: KeyMap; maxAge: number | undefined }> {
    const { json, maxAge } = await fetchJson(url, this.options, 'jwks', signal)
    return { entries: this.parse(json, url), maxAge }
  }

  private parse(json: unknown, url: string): KeyMap {
    const where = { resource: 'jwks', url } as const
    const keys = (json as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys)) throw new FetchFailure('invalid-document', 'not a JWK Set', where)
    if (keys.length > this.options.maxKeys) {
      throw new FetchFailure('too-large', `more than ${this.options.maxKeys} keys`, where)
    }
    const entries: KeyMap = new Map()
    for (const jwk of keys) {
      if (!isUsableSigningKey(jwk)) continue
      const list = entries.get(jwk.kid)
      const entry: KeyEntry = { jwk, text: JSON.stringify(jwk), misses: 0 }
      if (list) list.push(entry)
      else entries.set(jwk.kid, [entry])
    }
    // A provider that signs tokens publishes at least one key: an empty set is a fault of the
    // endpoint (a half-deployed node, a misrouted request), handled like an outage so the
    // cached keys keep serving.
    if (entries.size === 0) {
      throw new FetchFailure('invalid-document', 'no usable signing key in the JWK Set', where)
    }
    return entries
  }

  private hasNewKey(entries: KeyMap): boolean {
    const held = this.identities(this.entries)
    for (const list of entries.values()) {
      for (const entry of list) if (!held.has(keyIdentity(entry.jwk))) return true
    }
    return false
  }

  private identities(entries: KeyMap): Set<string> {
    const identities = new Set<string>()
    for (const list of entries.values())
      for (const entry of list) identities.add(keyIdentity(entry.jwk))
    return identities
  }

  /**
   * Installs a fetched set: keys republished unchanged keep their imported KeyObject; keys
   * missing from it stay (accepted) until MISSES_BEFORE_REMOVAL consecutive fetches missed them.
   * @returns whether the set holds a key not held before.
   */
  private install(fetched: KeyMap, maxAge: number | undefined): boolean {
    const heldIdentities = this.identities(this.entries)
    const published = this.identities(fetched)
    const held = new Map<string, KeyEntry>()
    for (const list of this.entries.values()) for (const entry of list) held.set(entry.text, entry)
    let added = false
    for (const list of fetched.values()) {
      for (const [index, entry] of list.entries()) {
        const previous = held.get(entry.text)
        if (previous !== undefined) {
          previous.misses = 0
          list[index] = previous
          held.delete(entry.text)
        } else if (!heldIdentities.has(keyIdentity(entry.jwk))) added = true
      }
    }
    // What is left was not republished as it was.
    let removed = false
    this.removedKids = new Set()
    for (const entry of held.values()) {
      entry.misses += 1
      // New material under a known identity replaces the old key at once.
      if (published.has(keyIdentity(entry.jwk)) || entry.misses >= MISSES_BEFORE_REMOVAL) {
        removed = true
        if (entry.jwk.kid !== undefined && !fetched.has(entry.jwk.kid))
          this.removedKids.add(entry.jwk.kid)
        continue
      }
      const list = fetched.get(entry.jwk.kid)
      if (list) list.push(entry)
      else fetched.set(entry.jwk.kid, [entry])
    }
    this.entries = fetched
    const { cooldownDuration, cacheMaxAge } = this.options
    const lifetime = maxAge === undefined ? cacheMaxAge : maxAge * 1000
    this.freshUntil = this.now() + Math.min(cacheMaxAge, Math.max(cooldownDuration, lifetime))
    if (removed) this.options.onKeysRemoved?.()
    return added
  }

  // A key on probation is confirmed gone (or back) by fetches on a timer, not left to traffic:
  // tokens signed with a withdrawn key may be served from the verified-token cache meanwhile.
  private scheduleConfirmation(): void {
    if (this.timer !== undefined) return
    let pending = false
    for (const list of this.entries.values())
      for (const entry of list) if (entry.misses > 0) pending = true
    if (!pending) return
    const generation = this.generation
    const delay = Math.max(this.minInterval, this.nextFetchAt - this.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (generation === this.generation) this.refresh('confirm').catch(noop)
    }, delay)
    this.timer.unref()
  }

  private warn(failure: FetchFailure): void {
    const key = `${failure.resource} ${failure.kind} ${failure.status ?? failure.code ?? ''}`
    if (this.warned.has(key) || this.warned.size >= 32) return
    this.warned.add(key)
    const what = failure.resource === 'jwks' ? 'JWK Set' : 'discovery document'
    const detail =
      failure.status !== undefined
        ? `HTTP ${failure.status}`
        : failure.code !== undefined
          ? `${failure.kind} (${failure.code})`
          : failure.kind
    const warning: KeySetWarning = {
      message: `oidc-guard: cannot fetch the ${what} of ${this.options.issuer} from ${failure.url}: ${detail} (${failure.message}). Tokens needing these keys answer 503 until it is fixed; cached keys keep serving.`,
      issuer: this.options.issuer,
      failure: failure.details,
    }
    try {
      if (this.options.onWarning) this.options.onWarning(warning)
      else
        process.emitWarning(warning.message, { type: 'OidcGuardWarning', code: 'OIDC_GUARD_KEYS' })
    } catch {
      // A failing logger must not change the answer.
    }
  }
}
