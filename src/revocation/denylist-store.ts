/** What a denylist entry refuses: one token (`jti`), or tokens of a subject, session or client. */
export type RevocationKind = 'jti' | 'sub' | 'sid' | 'clientId'

/**
 * One revocation, as stored and broadcast. Times are seconds since the epoch, like `iat`/`exp`.
 * A `jti` entry refuses that token outright; a `sub`, `sid` or `clientId` entry refuses the
 * matching tokens issued (`iat`) at or before `revokedAt`, so a user who signs in again after a
 * logout gets working tokens.
 */
export interface DenylistEntry {
  readonly kind: RevocationKind
  readonly value: string
  /** When the revocation was made, in seconds since the epoch. */
  readonly revokedAt: number
  /** When the entry expires on its own, in seconds since the epoch. */
  readonly until: number
}

/** Where a store delivers what it learns; implemented by the denylist. */
export interface DenylistSink {
  /** Entries added anywhere. With `replace`, they are the whole list (a resynchronisation). */
  apply(entries: readonly DenylistEntry[], replace: boolean): void
  /** A subject whose resolved permissions must be dropped (on every instance). */
  invalidated(subject: string): void
  /** Whether the store's view is current; `reason` says why not (our own words, for events). */
  availability(available: boolean, reason?: string): void
}

/**
 * Shares revocations between instances. The denylist keeps its own in-memory view, so a store is
 * never called on the request path: it only writes (`add`, `invalidate`) and feeds the view
 * through the sink given to `start`.
 * @see createRedisDenylistStore in `oidc-guard/redis` for the shared implementation.
 */
export interface DenylistStore {
  /** Begins feeding the sink: a first `apply(…, true)` and `availability(true)` once loaded. */
  start(sink: DenylistSink): void
  /** Persists an entry and broadcasts it to every instance (this one included). */
  add(entry: DenylistEntry): Promise<void>
  /** Broadcasts a permission invalidation for a subject to every instance (this one included). */
  invalidate(subject: string): Promise<void>
  /** Stops listening and closes the connections the store opened itself. */
  close(): Promise<void>
}

/** The default store: this process only, always available. */
export function createMemoryDenylistStore(): DenylistStore {
  let sink: DenylistSink | undefined
  return {
    start(target) {
      sink = target
      target.apply([], true)
      target.availability(true)
    },
    async add(entry) {
      sink?.apply([entry], false)
    },
    async invalidate(subject) {
      sink?.invalidated(subject)
    },
    async close() {
      sink = undefined
    },
  }
}
