import type { Policy } from '../policy/policy.js'
import { compareVersions } from '../policy/version-order.js'

/**
 * The parts of a node-redis client (`redis` 5 or 6) the policy channel uses. Typed structurally,
 * so oidc-guard does not import the optional peer.
 */
export interface PolicyRedisClient {
  duplicate(): PolicyRedisClient
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  publish(channel: string, message: string): Promise<number>
  close(): Promise<unknown>
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** Options of the policy channel. */
export interface PolicyChannelOptions {
  /** The pub/sub channel. Default `oidc-guard:policy`. */
  channel?: string
  /** Told when the subscription's connection fails (node-redis reconnects by itself). */
  onError?: (error: Error) => void
}

/** A running subscription. */
export interface PolicySubscription {
  close(): Promise<void>
}

const DEFAULT_CHANNEL = 'oidc-guard:policy'

/**
 * Announces that a policy version is out, so every subscribed instance refetches now instead of
 * at its next poll. The message carries the version only: instances fetch (and, for signed
 * bundles, verify) the document from their own source, so the channel cannot inject a policy.
 * @returns the number of subscribers that received it
 * @example await publishPolicyVersion(redis, 42)
 */
export function publishPolicyVersion(
  client: PolicyRedisClient,
  version: string | number,
  options: PolicyChannelOptions = {},
): Promise<number> {
  return client.publish(options.channel ?? DEFAULT_CHANNEL, JSON.stringify({ version }))
}

/**
 * Subscribes a policy to version announcements on a duplicate of `client` (pub/sub needs its own
 * connection). A version different from the running one triggers `policy.refresh()`; the usual
 * checks (signature, rollback, validation) still apply. Malformed messages are ignored. While
 * Redis is down, polling still converges within one interval.
 * @example const subscription = await subscribePolicyUpdates(policy, redis)
 */
export async function subscribePolicyUpdates(
  policy: Policy,
  client: PolicyRedisClient,
  options: PolicyChannelOptions = {},
): Promise<PolicySubscription> {
  const subscriber = client.duplicate()
  // node-redis emits `error` on every failed reconnect; without a listener the process exits.
  subscriber.on('error', (error) => options.onError?.(error))
  await subscriber.connect()
  await subscriber.subscribe(options.channel ?? DEFAULT_CHANNEL, (message) => {
    let version: unknown
    try {
      version = (JSON.parse(message) as { version?: unknown }).version
    } catch {
      return
    }
    if (typeof version !== 'string' && typeof version !== 'number') return
    if (compareVersions(version, policy.version) !== 0) void policy.refresh()
  })
  return {
    async close() {
      await subscriber.close()
    },
  }
}
