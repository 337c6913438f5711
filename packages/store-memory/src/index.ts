// @paywire/store-memory: a bounded in-memory Store for one process.
export * as MemoryStore from './MemoryStore.js'
