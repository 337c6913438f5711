// @paywire/escrow: the escrow contract of Tempo session payment channels (v1 interface).
export * as Escrow from './Escrow.js'
export * as Voucher from './Voucher.js'
