// @paywire/testkit: helpers for testing paywire and the servers and clients built on it.
export * as TestMethod from './TestMethod.js'
