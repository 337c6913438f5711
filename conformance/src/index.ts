// @paywire/conformance: conformance tooling for the HTTP "Payment" authentication scheme.
// For now, paywire's adapter for the mpp-tools cross-SDK harness, usable in-process.
export * as Adapter from './adapters/paywire/abi.js'
export * as Operations from './adapters/paywire/ops.js'
