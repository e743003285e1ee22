// The `oidc-guard/redis` entry: needs the optional peer `redis` (node-redis 5 or 6).
export {
  createRedisDenylistStore,
  type RedisClientLike,
  type RedisDenylistStoreOptions,
} from './denylist-store.js'
