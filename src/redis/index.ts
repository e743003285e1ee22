export {
  createRedisDpopReplayStore,
  type RedisCommandClient,
  type RedisDpopReplayStoreOptions,
} from './dpop-replay-store.js'
