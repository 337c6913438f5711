// @paywire/method-tempo: the Tempo payment method (draft-tempo-charge-00): stablecoin
// charges in pull and push mode, each transfer bound to its challenge, fee sponsorship
// and zero-amount proofs.
export * as Binding from './Binding.js'
export * as Chain from './Chain.js'
export * as ChargePayload from './ChargePayload.js'
export * as ChargeRequest from './ChargeRequest.js'
export * as Client from './Client.js'
export * as FeePayer from './FeePayer.js'
export * as Proof from './Proof.js'
export * as Server from './Server.js'
export * as Settlement from './Settlement.js'
export * as Source from './Source.js'
export * as Transaction from './Transaction.js'
export * as Transfer from './Transfer.js'
