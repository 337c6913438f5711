// @paywire/store-redis: a Store on Redis 6+ or Valkey, shared by many server instances.
export * as RedisStore from './RedisStore.js'
