// The credential `payload` of an EVM charge (draft-evm-charge-00 §5): `permit2` (a signed
// Permit2 witness transfer), `authorization` (a signed EIP-3009 transferWithAuthorization),
// `transaction` (a signed EIP-1559 ERC-20 transfer for the server to broadcast) and `hash`
// (a transaction the client broadcast). Numbers travel as decimal strings.
import { z } from 'zod'
import * as Address from './Address.js'
import { maxSplits } from './ChargeRequest.js'

const maxUint256 = 2n ** 256n - 1n

/**
 * A `uint256` as a decimal string without leading zeros.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.uintSchema.safeParse('01').success // false
 * ```
 */
export const uintSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'expected a decimal integer string')
  .refine((value) => BigInt(value) <= maxUint256, 'exceeds uint256')

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes of hex with 0x')
const signature = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/, 'expected a 64- or 65-byte signature')

/**
 * `type="permit2"` (§5.2): the permit, the transfer details, the witness and the signature.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.permit2Schema.shape.type.value // 'permit2'
 * ```
 */
export const permit2Schema = z.object({
  type: z.literal('permit2'),
  permit: z.object({
    permitted: z
      .array(z.object({ token: Address.schema, amount: uintSchema }))
      .min(1)
      .max(maxSplits + 1),
    nonce: uintSchema,
    deadline: uintSchema,
  }),
  transferDetails: z
    .array(z.object({ to: Address.schema, requestedAmount: uintSchema }))
    .min(1)
    .max(maxSplits + 1),
  witness: z.object({ challengeHash: bytes32, externalId: z.string().max(1024).optional() }),
  signature,
})

/**
 * `type="authorization"` (§5.3): an EIP-3009 authorization and its signature.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.authorizationSchema.shape.type.value // 'authorization'
 * ```
 */
export const authorizationSchema = z.object({
  type: z.literal('authorization'),
  from: Address.schema,
  to: Address.schema,
  value: uintSchema,
  validAfter: uintSchema,
  validBefore: uintSchema,
  nonce: bytes32,
  signature,
})

/**
 * `type="transaction"` (§5.4): a signed EIP-1559 (type 2) transaction, RLP hex; at most 4 KiB.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.transactionSchema.safeParse({ type: 'transaction', signature: '0x76f8' }).success // false
 * ```
 */
export const transactionSchema = z.object({
  type: z.literal('transaction'),
  signature: z
    .string()
    .max(2 + 8192)
    .regex(/^0x02(?:[0-9a-fA-F]{2})+$/, 'expected a serialized EIP-1559 (0x02) transaction'),
})

/**
 * `type="hash"` (§5.5): the hash of a transaction the client broadcast.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.hashSchema.parse({ type: 'hash', hash: `0x${'ab'.repeat(32)}` })
 * ```
 */
export const hashSchema = z.object({ type: z.literal('hash'), hash: bytes32 })

/**
 * Any EVM charge payload, told apart by `type`.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-evm'
 * ChargePayload.schema.parse({ type: 'hash', hash: `0x${'ab'.repeat(32)}` }).type // 'hash'
 * ```
 */
export const schema = z.discriminatedUnion('type', [
  permit2Schema,
  authorizationSchema,
  transactionSchema,
  hashSchema,
])

/** An EVM charge payload. */
export type ChargePayload = z.infer<typeof schema>
/** A `permit2` payload. */
export type Permit2Payload = z.infer<typeof permit2Schema>
/** An `authorization` payload. */
export type AuthorizationPayload = z.infer<typeof authorizationSchema>
