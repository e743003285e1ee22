import { ConfigurationError } from '../errors/errors.js'
import type { AuthContext } from '../verify/auth-context.js'
import {
  createMemoryDenylistStore,
  type DenylistEntry,
  type DenylistSink,
  type DenylistStore,
  type RevocationKind,
} from './denylist-store.js'

/** What `revoke()` refuses: one token by `jti`, or every earlier token of a subject, session or client. */
export type RevocationTarget =
  | { readonly jti: string }
  | { readonly sub: string }
  | { readonly sid: string }
  | { readonly clientId: string }

/** Options of one `revoke()` call. */
export interface RevokeOptions {
  /**
   * When the entry may expire: a `Date`, or seconds since the epoch (like `exp`). Pass the
   * token's `exp` when you know it. Default: now + the denylist's `tokenLifetime`.
   */
  until?: Date | number
}

/** Options of `createDenylist()`. */
export interface DenylistOptions {
  /** Shares revocations between instances. Default: this process only (in memory). */
  store?: DenylistStore
  /**
   * The longest lifetime of an access token you accept, in seconds: an entry without `until`
   * expires this long after it is made (no token it could match is still valid by then).
   * Default 86400.
   */
  tokenLifetime?: number
  /** Most entries held; `revoke()` rejects beyond it (after dropping expired ones). Default 100000. */
  maxEntries?: number
  /**
   * When the store cannot vouch for its view (Redis unreachable, not yet loaded): `false`
   * refuses every request with 503 (fail closed); `true` keeps answering from the entries held.
   * Default false.
   */
  failOpen?: boolean
}

/**
 * Revoked tokens, subjects, sessions and clients, checked on every request in memory. A store
 * (e.g. Redis) keeps every instance's view in step; the request path never waits on it.
 */
export interface Denylist {
  /**
   * Refuses the target's tokens on every instance sharing the store. Resolves once the store
   * has it (a local denylist: at once).
   * @example await denylist.revoke({ sub: 'user-42' })
   * @example await denylist.revoke({ jti: auth.claims.jti as string }, { until: auth.expiresAt })
   */
  revoke(target: RevocationTarget, options?: RevokeOptions): Promise<void>
  /** True when an entry matches the token: its `jti`, or its `sub`/`sid`/client issued before the entry. */
  isRevoked(auth: AuthContext): boolean
  /** False while the store cannot vouch for the view (see `failOpen`). */
  readonly available: boolean
  /** Why the view is not current, when `available` is false. */
  readonly unavailableReason: string | undefined
  readonly failOpen: boolean
  /** Entries held now (expired ones are dropped lazily). */
  readonly size: number
  /** Drops the cached permissions of a subject on every instance sharing the store. */
  invalidatePermissions(subject: string): Promise<void>
  /**
   * Registers a listener for permission invalidations from any instance; `undefined` means every
   * subject (after a resynchronisation, since invalidations may have been missed). Returns its
   * remover.
   */
  onPermissionsInvalidated(listener: (subject: string | undefined) => void): () => void
  /** Resolves once the store has loaded the view (at once for the memory store). */
  ready(): Promise<void>
  /** Stops the store. */
  close(): Promise<void>
}

const KINDS: readonly RevocationKind[] = ['jti', 'sub', 'sid', 'clientId']
const nowSeconds = () => Math.floor(Date.now() / 1000)

interface Held {
  revokedAt: number
  until: number
}

function targetOf(target: RevocationTarget): { kind: RevocationKind; value: string } {
  const kinds = KINDS.filter((kind) => Object.hasOwn(target, kind))
  const kind = kinds[0]
  const value = kind === undefined ? undefined : (target as Record<string, unknown>)[kind]
  if (kinds.length !== 1 || typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(
      'revoke() takes exactly one of { jti }, { sub }, { sid }, { clientId } with a non-empty string',
    )
  }
  return { kind: kind as RevocationKind, value }
}

const DENYLIST = Symbol.for('oidc-guard.denylist')

/** True for an object made by `createDenylist()` (any copy of the package). */
export function isDenylist(value: unknown): value is Denylist {
  return typeof value === 'object' && value !== null && DENYLIST in value
}

/**
 * Creates a denylist. Pass it to `authenticate({ …, denylist })` of every route (and to
 * `backchannelLogout()`), and call `revoke()` from an admin route or a job.
 * @example
 * import { createRedisDenylistStore } from 'oidc-guard/redis'
 * const denylist = createDenylist({ store: createRedisDenylistStore({ client: redis }) })
 * app.use(authenticate({ issuer, audience, denylist }))
 * app.post('/admin/revoke', adminOnly, async (req, res) => {
 *   await denylist.revoke({ sub: req.body.sub })
 *   res.sendStatus(204)
 * })
 */
export function createDenylist(options: DenylistOptions = {}): Denylist {
  const tokenLifetime = options.tokenLifetime ?? 86_400
  const maxEntries = options.maxEntries ?? 100_000
  if (!(Number.isInteger(tokenLifetime) && tokenLifetime > 0))
    throw new ConfigurationError('"tokenLifetime": expected a positive number of seconds')
  if (!(Number.isInteger(maxEntries) && maxEntries > 0))
    throw new ConfigurationError('"maxEntries": expected a positive integer')
  const store = options.store ?? createMemoryDenylistStore()
  const failOpen = options.failOpen ?? false
  const held: Record<RevocationKind, Map<string, Held>> = {
    jti: new Map(),
    sub: new Map(),
    sid: new Map(),
    clientId: new Map(),
  }
  let size = 0
  let puts = 0
  const listeners = new Set<(subject: string | undefined) => void>()
  let markReady: () => void = () => {}
  const loaded = new Promise<void>((resolve) => (markReady = resolve))

  function put(entry: DenylistEntry): void {
    // Expired entries are dropped in batches, so a long-lived process stays bounded.
    if (++puts % 1024 === 0) sweep()
    const map = held[entry.kind]
    const current = map.get(entry.value)
    if (current === undefined) {
      map.set(entry.value, { revokedAt: entry.revokedAt, until: entry.until })
      size += 1
    } else {
      current.revokedAt = Math.max(current.revokedAt, entry.revokedAt)
      current.until = Math.max(current.until, entry.until)
    }
  }

  function sweep(): void {
    const now = nowSeconds()
    for (const kind of KINDS) {
      for (const [value, entry] of held[kind]) {
        if (entry.until <= now) {
          held[kind].delete(value)
          size -= 1
        }
      }
    }
  }

  function notify(subject: string | undefined): void {
    for (const listener of listeners) {
      try {
        listener(subject)
      } catch {
        // One failing listener must not stop the others.
      }
    }
  }

  const sink: DenylistSink = {
    apply(entries, replace) {
      if (replace) {
        for (const kind of KINDS) held[kind].clear()
        size = 0
        // Invalidations published while this instance was away are lost: drop every grant.
        notify(undefined)
      }
      const now = nowSeconds()
      for (const entry of entries) if (entry.until > now) put(entry)
    },
    invalidated(subject) {
      notify(subject)
    },
    availability(up, reason) {
      // Plain data properties: the request path reads them without a getter call.
      denylist.available = up
      denylist.unavailableReason = up ? undefined : (reason ?? 'The revocation list is unavailable')
      if (up) markReady()
    },
  }

  // `iat` may be absent (allowed outside the strict profile): such a token cannot prove it was
  // issued after the revocation, so it is refused. The clock is read only for a match.
  function issuedBy(entry: Held | undefined, iat: unknown): boolean {
    if (entry === undefined || entry.until <= nowSeconds()) return false
    return typeof iat !== 'number' || iat <= entry.revokedAt
  }

  type Mutable<T> = { -readonly [K in keyof T]: T[K] }
  const denylist: Mutable<Denylist> & { [DENYLIST]: true } = {
    [DENYLIST]: true,
    async revoke(target, revokeOptions = {}) {
      const { kind, value } = targetOf(target)
      const revokedAt = nowSeconds()
      const until =
        revokeOptions.until instanceof Date
          ? Math.ceil(revokeOptions.until.getTime() / 1000)
          : (revokeOptions.until ?? revokedAt + tokenLifetime)
      if (!Number.isFinite(until)) throw new ConfigurationError('"until": expected a date')
      if (until <= revokedAt) return
      if (size >= maxEntries) sweep()
      if (size >= maxEntries && !held[kind].has(value)) {
        throw new RangeError(`The denylist holds ${maxEntries} entries (maxEntries)`)
      }
      await store.add({ kind, value, revokedAt, until })
    },
    // On every request: at most four Map lookups, each skipped when its kind holds nothing.
    isRevoked(auth) {
      if (size === 0) return false
      const claims = auth.claims
      if (held.jti.size > 0) {
        const jti = claims.jti
        const entry = typeof jti === 'string' ? held.jti.get(jti) : undefined
        if (entry !== undefined && entry.until > nowSeconds()) return true
      }
      const { sub, sid, clientId } = held
      if (sub.size > 0 && auth.subject !== undefined && issuedBy(sub.get(auth.subject), claims.iat))
        return true
      if (
        sid.size > 0 &&
        typeof claims.sid === 'string' &&
        issuedBy(sid.get(claims.sid), claims.iat)
      )
        return true
      return (
        clientId.size > 0 &&
        auth.clientId !== undefined &&
        issuedBy(clientId.get(auth.clientId), claims.iat)
      )
    },
    available: false,
    unavailableReason: 'The revocation list is not loaded yet',
    failOpen,
    get size() {
      return size
    },
    invalidatePermissions(subject) {
      return store.invalidate(subject)
    },
    onPermissionsInvalidated(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    ready: () => loaded,
    close: () => store.close(),
  }
  store.start(sink)
  return denylist
}
