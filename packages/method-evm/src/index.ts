// @paywire/method-evm: the EVM payment method (draft-evm-charge-00): one-time ERC-20
// charges on any EVM chain. This entry holds the wire schemas, identifiers, value modules
// shared by both halves and the errors; `./server` and `./client` hold the halves.
export * as Address from './Address.js'
export * as Authorization from './Authorization.js'
export * as Binding from './Binding.js'
export * as Chain from './Chain.js'
export * as ChallengeHash from './ChallengeHash.js'
export * as ChargePayload from './ChargePayload.js'
export * as ChargeRequest from './ChargeRequest.js'
export * as Errors from './Errors.js'
export * as Method from './Method.js'
export * as Permit2 from './Permit2.js'
export * as Source from './Source.js'
export * as Transfer from './Transfer.js'
