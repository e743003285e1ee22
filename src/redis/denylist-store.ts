import type { DenylistEntry, DenylistSink, DenylistStore } from '../revocation/denylist-store.js'

/**
 * The part of a node-redis (`redis` 5 or 6) client the store uses. Any client made by
 * `createClient()` fits; the store never changes its settings.
 */
export interface RedisClientLike {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  duplicate(overrides?: { disableOfflineQueue?: boolean }): RedisClientLike
  on(
    event: 'error' | 'ready' | 'end' | 'reconnecting',
    listener: (error?: unknown) => void,
  ): unknown
  zAdd(key: string, member: { score: number; value: string }): Promise<unknown>
  zRangeByScore(key: string, min: number | string, max: number | string): Promise<unknown>
  zRemRangeByScore(key: string, min: number | string, max: number | string): Promise<unknown>
  publish(channel: string, message: string): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  destroy(): void
}

/** Options of `createRedisDenylistStore()`. */
export interface RedisDenylistStoreOptions {
  /**
   * Your node-redis client (connected or not; connected here if not), e.g.
   * `createClient({ url, disableOfflineQueue: true })`. The store adds an `error` listener to it
   * and subscribes on a duplicate of its own (closed by `close()`); the client stays yours.
   */
  client: RedisClientLike
  /** Prefix of the sorted set (`<prefix>:entries`) and channel (`<prefix>:events`). Default `oidc-guard:denylist`. */
  keyPrefix?: string
  /** Longest wait for one Redis command, in milliseconds. Default 1000. */
  commandTimeout?: number
  /** Wait between two resynchronisation attempts while Redis is back but not answering, in milliseconds. Default 500. */
  retryDelay?: number
}

type Message =
  | { readonly type: 'entry'; readonly entry: DenylistEntry }
  | { readonly type: 'invalidate'; readonly subject: string }

const KINDS = new Set(['jti', 'sub', 'sid', 'clientId'])
const UNREACHABLE = 'The revocation list is unavailable: Redis is unreachable'

function isEntry(value: unknown): value is DenylistEntry {
  const entry = value as Partial<DenylistEntry> | null
  return (
    typeof entry === 'object' &&
    entry !== null &&
    KINDS.has(entry.kind as string) &&
    typeof entry.value === 'string' &&
    typeof entry.revokedAt === 'number' &&
    typeof entry.until === 'number'
  )
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * A denylist store shared through Redis, for `createDenylist({ store })`:
 * - each entry is kept in a sorted set scored by its expiry (so it outlives any message) and
 *   published on a channel; every instance applies it to its in-memory view within
 *   milliseconds, so the request path never waits on Redis;
 * - when Redis goes away, the view is marked unavailable (the denylist then fails closed unless
 *   `failOpen`); on reconnection the whole set is reloaded, so a revocation published while an
 *   instance was disconnected is still enforced;
 * - every command has its own timeout; the subscriber connection never queues commands offline.
 * @example
 *  * import { createRedisDenylistStore } from 'oidc-guard/redis'
 * const redis = createClient({ url: process.env.REDIS_URL })
 * const denylist = createDenylist({ store: createRedisDenylistStore({ client: redis }) })
 */
export function createRedisDenylistStore(options: RedisDenylistStoreOptions): DenylistStore {
  // The optional `redis` peer is never imported here: the application's own client is used.
  if (typeof options?.client?.duplicate !== 'function')
    throw new TypeError('createRedisDenylistStore(): "client" must be a node-redis client')
  const client = options.client
  const prefix = options.keyPrefix ?? 'oidc-guard:denylist'
  const key = `${prefix}:entries`
  const channel = `${prefix}:events`
  const commandTimeout = options.commandTimeout ?? 1000
  const retryDelay = options.retryDelay ?? 500
  let subscriber: RedisClientLike | undefined
  let sink: DenylistSink | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  let adds = 0

  function withTimeout<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis command timed out')), commandTimeout)
    })
    return Promise.race([command, expired]).finally(() => clearTimeout(timer))
  }

  function down(): void {
    sink?.availability(false, UNREACHABLE)
  }

  function onMessage(text: string): void {
    const message = parse(text) as Message | undefined
    if (message?.type === 'entry' && isEntry(message.entry)) sink?.apply([message.entry], false)
    else if (message?.type === 'invalidate' && typeof message.subject === 'string')
      sink?.invalidated(message.subject)
  }

  // Reloads the whole set; the view is available again only once this succeeded.
  async function resync(): Promise<void> {
    clearTimeout(retry)
    if (closed || subscriber === undefined) return
    try {
      const now = Math.floor(Date.now() / 1000)
      const members = (await withTimeout(client.zRangeByScore(key, `(${now}`, '+inf'))) as string[]
      const entries = members.map(parse).filter(isEntry)
      if (closed || !subscriber.isReady) return
      sink?.apply(entries, true)
      sink?.availability(true)
    } catch {
      down()
      if (!closed) retry = setTimeout(() => void resync(), retryDelay)
    }
  }

  async function connect(): Promise<void> {
    if (!client.isOpen) await client.connect()
    await (subscriber as RedisClientLike).connect()
    await (subscriber as RedisClientLike).subscribe(channel, onMessage)
    await resync()
  }

  async function publish(message: Message): Promise<void> {
    await withTimeout(client.publish(channel, JSON.stringify(message)))
  }

  return {
    start(target) {
      sink = target
      // node-redis emits `error` on every failed (re)connection: without a listener, a dead
      // Redis would crash the process.
      client.on('error', down)
      subscriber = client.duplicate({ disableOfflineQueue: true })
      subscriber.on('error', down)
      subscriber.on('end', down)
      subscriber.on('reconnecting', down)
      // `ready` follows every reconnection, after node-redis has subscribed again.
      subscriber.on('ready', () => void resync())
      down()
      connect().catch(down)
    },
    async add(entry) {
      await withTimeout(client.zAdd(key, { score: entry.until, value: JSON.stringify(entry) }))
      // This instance applies at once; the others on the message (or on their next resync).
      sink?.apply([entry], false)
      await publish({ type: 'entry', entry })
      if (++adds % 100 === 1) {
        const now = Math.floor(Date.now() / 1000)
        await withTimeout(client.zRemRangeByScore(key, '-inf', now)).catch(() => {})
      }
    },
    async invalidate(subject) {
      sink?.invalidated(subject)
      await publish({ type: 'invalidate', subject })
    },
    async close() {
      closed = true
      clearTimeout(retry)
      sink = undefined
      try {
        subscriber?.destroy()
      } catch {
        // Already closed.
      }
    },
  }
}
