// @paywire/store-sqlite: a durable Store in one SQLite file, for a single node.
export * as SqliteStore from './SqliteStore.js'
