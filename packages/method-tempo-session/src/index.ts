// @paywire/method-tempo-session: Tempo sessions (v1 escrow), server and payer sides.
export * as ChannelTransaction from './ChannelTransaction.js'
export * as EscrowChain from './EscrowChain.js'
export * as Payer from './Payer.js'
export * as Payload from './Payload.js'
export * as Sessions from './Sessions.js'
export * as Stream from './Stream.js'
