import type { DpopReplayStore } from '../binding/replay-store.js'

/**
 * The part of a node-redis client (v5 or v6, `createClient()`) the replay store uses. Passing
 * the client in keeps `redis` an optional peer dependency: this package never imports it.
 */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>
  /** node-redis: false while disconnected; the store then fails fast instead of queueing. */
  readonly isReady?: boolean
}

/** Options of `createRedisDpopReplayStore`. */
export interface RedisDpopReplayStoreOptions {
  /** A connected node-redis client shared by every instance of the API. */
  client: RedisCommandClient
  /** Prefix of the keys written. Default `oidc-guard:dpop:`. */
  keyPrefix?: string
  /** Longest wait for Redis, in milliseconds; then the request gets 503. Default 500. */
  timeout?: number
}

/**
 * A DPoP replay store in Redis, so a proof used at one instance is refused at every other
 * (RFC 9449 §11.1). One `SET key 1 PX ttl NX` per proof: atomic, and the key expires with the
 * proof's window, so Redis holds at most one window of proofs. When Redis is down, slow or not
 * ready, `use` rejects and the request is refused with 503 (fail closed).
 * @example
 * import { createClient } from 'redis'
 * import { createRedisDpopReplayStore } from 'oidc-guard/redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * authenticate({ issuer, audience, dpop: { replayStore: createRedisDpopReplayStore({ client }) } })
 */
export function createRedisDpopReplayStore(options: RedisDpopReplayStoreOptions): DpopReplayStore {
  const { client, keyPrefix = 'oidc-guard:dpop:', timeout = 500 } = options
  return {
    use(key, ttl) {
      if (client.isReady === false) return Promise.reject(new Error('Redis is not ready'))
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not answer in time')), timeout)
      })
      const command = client.sendCommand([
        'SET',
        keyPrefix + key,
        '1',
        'PX',
        String(Math.max(1, Math.ceil(ttl))),
        'NX',
      ])
      return Promise.race([command, deadline])
        .then((reply) => reply === 'OK')
        .finally(() => clearTimeout(timer))
    },
  }
}
