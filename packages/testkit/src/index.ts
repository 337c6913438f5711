// @paywire/testkit: helpers for testing paywire and the servers and clients built on it.

export * as devChain from './devChain.js'
export * as Eip3009Token from './Eip3009Token.js'
export * as EvmNode from './EvmNode.js'
export * as FreePort from './FreePort.js'
export * as PaidInstances from './PaidInstances.js'
export * as Permit2 from './Permit2.js'
export * as StripeForm from './StripeForm.js'
export * as StripeServer from './StripeServer.js'
export * as TcpProxy from './TcpProxy.js'
export * as TempoNode from './TempoNode.js'
export * as TestMethod from './TestMethod.js'
