// @paywire/method-evm/client: the client half of the EVM charge.
export { charge } from './charge.js'
