// @paywire/store-postgres: a Store on PostgreSQL, shared by many server instances.
export * as PostgresStore from './PostgresStore.js'
