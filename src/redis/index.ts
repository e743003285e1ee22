export {
  createRedisDpopReplayStore,
  type RedisCommandClient,
  type RedisDpopReplayStoreOptions,
} from './dpop-replay-store.js'
export {
  createRedisDenylistStore,
  type RedisClientLike,
  type RedisDenylistStoreOptions,
} from './denylist-store.js'
