// @paywire/conformance: the conformance suite of the HTTP "Payment" authentication scheme.
// The server suite (catalog, runner, reports), and paywire's adapter for the mpp-tools
// cross-SDK harness, usable in-process. fast-check arbitraries live in the
// `@paywire/conformance/arbitraries` subpath.
export * as Adapter from './adapters/paywire/abi.js'
export * as Operations from './adapters/paywire/ops.js'
export * as Catalog from './Catalog.js'
export * as Cli from './cli/Cli.js'
export * as Progress from './Progress.js'
export * as Report from './Report.js'
export * as Results from './Results.js'
export * as Suite from './Suite.js'
export * as Check from './server/Check.js'
export * as Config from './server/Config.js'
export * as Exchange from './server/Exchange.js'
export * as Payer from './server/Payer.js'
export * as Vectors from './Vectors.js'
