// The identifiers of the EVM charge (draft-evm-charge-00 §11 "IANA Considerations").

/**
 * The payment method identifier.
 *
 * @example
 * ```ts
 * import { Method } from '@paywire/method-evm'
 * Method.method // 'evm'
 * ```
 */
export const method = 'evm'

/**
 * The intent this package implements.
 *
 * @example
 * ```ts
 * import { Method } from '@paywire/method-evm'
 * Method.intent // 'charge'
 * ```
 */
export const intent = 'charge'
