import { LRUCache } from 'lru-cache'

/**
 * Remembers, per tenant of an issuer template, when its key set was last fetched, outside the
 * bounded LRU of tenant verifiers. Evicting a tenant's verifier (to make room for another) drops
 * its keys but not this record, so re-creating the verifier cannot fetch again before
 * `cooldownDuration` has passed: rotating forged tokens over more tenants than `maxTenants`
 * costs at most one fetch per tenant per cooldown, as it does for a tenant that stays cached.
 *
 * Bounded (`size` entries, each expiring after the cooldown).
 */
export class TenantFetchGate {
  private readonly lastFetch: LRUCache<string, number>

  constructor(
    private readonly cooldownDuration: number,
    size: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastFetch = new LRUCache({ max: size, ttl: Math.max(1, cooldownDuration) })
  }

  /**
   * Wraps the `fetch` of one tenant verifier's key set. Its first fetch is refused (a network
   * failure to the key set, so a 503 with `Retry-After`) while an earlier verifier of the same
   * tenant fetched within the cooldown; later fetches of this key set are its own (the key set
   * enforces its cooldown itself).
   */
  guard(tenant: string, fetchImpl: typeof fetch): typeof fetch {
    let admitted = false
    const gate = this
    return function gatedFetch(input, init) {
      const now = gate.now()
      if (!admitted) {
        const last = gate.lastFetch.get(tenant)
        if (last !== undefined && now - last < gate.cooldownDuration) {
          return Promise.reject(new Error('tenant key set fetched within the cooldown'))
        }
        admitted = true
      }
      gate.lastFetch.set(tenant, now)
      return fetchImpl(input, init)
    }
  }

  clear(): void {
    this.lastFetch.clear()
  }
}
