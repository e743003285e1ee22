import { LRUCache } from 'lru-cache'

/**
 * Remembers DPoP proofs so each is accepted once (RFC 9449 §11.1). Shared by every instance
 * behind one load balancer when backed by a shared store (see `oidc-guard/redis`).
 */
export interface DpopReplayStore {
  /**
   * Records `key` for `ttl` milliseconds. Answers `true` when the key was not there (first use),
   * `false` when it was (a replay). Throwing or rejecting means the store cannot answer: the
   * request is refused with 503 (fail closed).
   */
  use(key: string, ttl: number): boolean | Promise<boolean>
}

/**
 * The default replay store: an LRU in this process, bounded to `max` entries, each kept for
 * its proof's window. When more than `max` proofs arrive within one window the oldest are
 * forgotten first; size it above your peak proofs per window (requests per second × `maxAge`).
 * @example createMemoryReplayStore(100_000)
 */
export function createMemoryReplayStore(
  max = 100_000,
): DpopReplayStore & { readonly size: number } {
  const seen = new LRUCache<string, true>({ max })
  return {
    use(key, ttl) {
      // lru-cache's `has` answers false for an expired entry, which then gets overwritten.
      if (seen.has(key)) return false
      seen.set(key, true, { ttl })
      return true
    },
    get size() {
      return seen.size
    },
  }
}
