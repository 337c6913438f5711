// @paywire/method-evm/server: the server half of the EVM charge.
export { charge, type Price } from './charge.js'
export * as Sponsor from './Sponsor.js'
