// oidc-guard/redis: integrations that need the optional `redis` peer, kept out of the core entry.
export {
  createRedisDpopReplayStore,
  type RedisCommandClient,
  type RedisDpopReplayStoreOptions,
} from './dpop-replay-store.js'
export {
  publishPolicyVersion,
  subscribePolicyUpdates,
  type PolicyChannelOptions,
  type PolicyRedisClient,
  type PolicySubscription,
} from './policy-channel.js'
