// Permit2 witness transfers for the EVM charge (draft-evm-charge-00 §5.2): the EIP-712
// typed data a payer signs (domain `Permit2`, chain, Permit2 address; single
// `PermitWitnessTransferFrom` or batch `PermitBatchWitnessTransferFrom`), the
// `PaymentWitness` that binds it to a challenge, and the calldata of the Permit2 call the
// server submits. Two witness layouts: the draft's (-00: challengeHash and externalId) and
// the one of mpp-specs PR #313 (challengeHash only); see spec/DEVIATIONS.md for the type
// string, written in the draft with a stray space that no EIP-712 signer produces.
import {
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  hashTypedData,
  keccak256,
  parseAbi,
  stringToHex,
  type TypedDataDefinition,
} from 'viem'

/** Which `PaymentWitness` layout a signature uses. */
export type WitnessLayout = 'draft-00' | 'challenge-hash-only'

/** The witness of a payment. `externalId` is the request's, or `""` (draft-00 layout). */
export type Witness = { challengeHash: Hex; externalId: string }

/**
 * The witness type strings passed to Permit2, per layout: the EIP-712 encoding of the
 * draft's structs (no space after commas).
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * Permit2.witnessTypeString['draft-00']
 * ```
 */
export const witnessTypeString: Record<WitnessLayout, string> = {
  'draft-00':
    'PaymentWitness witness)PaymentWitness(bytes32 challengeHash,string externalId)TokenPermissions(address token,uint256 amount)',
  'challenge-hash-only':
    'PaymentWitness witness)PaymentWitness(bytes32 challengeHash)TokenPermissions(address token,uint256 amount)',
}

/**
 * The type string as draft-evm-charge-00 §5.2.3 prints it (with a space after the comma):
 * kept to document the defect; a signature made by any EIP-712 signer fails with it.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * Permit2.draftLiteralTypeString.includes('challengeHash, string') // true
 * ```
 */
export const draftLiteralTypeString =
  'PaymentWitness witness)PaymentWitness(bytes32 challengeHash, string externalId)TokenPermissions(address token,uint256 amount)'

/**
 * The Permit2 calls, views and errors the charge uses.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * Permit2.abi.filter((item) => item.type === 'error').length // 7
 * ```
 */
export const abi = parseAbi([
  'struct TokenPermissions { address token; uint256 amount; }',
  'struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }',
  'struct PermitBatchTransferFrom { TokenPermissions[] permitted; uint256 nonce; uint256 deadline; }',
  'struct SignatureTransferDetails { address to; uint256 requestedAmount; }',
  'function permitWitnessTransferFrom(PermitTransferFrom permit, SignatureTransferDetails transferDetails, address owner, bytes32 witness, string witnessTypeString, bytes signature)',
  'function permitWitnessTransferFrom(PermitBatchTransferFrom permit, SignatureTransferDetails[] transferDetails, address owner, bytes32 witness, string witnessTypeString, bytes signature)',
  'function nonceBitmap(address owner, uint256 wordPosition) view returns (uint256)',
  'function DOMAIN_SEPARATOR() view returns (bytes32)',
  'error InvalidSigner()',
  'error InvalidNonce()',
  'error SignatureExpired(uint256 signatureDeadline)',
  'error InvalidAmount(uint256 maxAmount)',
  'error LengthMismatch()',
  'error InvalidSignatureLength()',
  'error InvalidContractSignature()',
])

/** What a payer signs, apart from the domain. */
export type Permit = {
  permitted: readonly { token: string; amount: bigint }[]
  spender: string
  nonce: bigint
  deadline: bigint
  witness: Witness
}

/**
 * The EIP-712 typed data of a permit: single when it permits one transfer, batch otherwise.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * declare const permit: Permit2.Permit
 * const typed = Permit2.typedData({ chainId: 1329, permit2Address: '0x000000000022D473030F116dDEE9F6B43aC78BA3', permit, layout: 'draft-00' })
 * ```
 */
export function typedData(parameters: typedData.Parameters): TypedDataDefinition {
  const { permit, layout } = parameters
  const single = permit.permitted.length === 1
  const primaryType = single ? 'PermitWitnessTransferFrom' : 'PermitBatchWitnessTransferFrom'
  const permitted = permit.permitted.map((entry) => ({
    token: entry.token.toLowerCase(),
    amount: entry.amount,
  }))
  return {
    domain: {
      name: 'Permit2',
      chainId: parameters.chainId,
      verifyingContract: parameters.permit2Address.toLowerCase() as Hex,
    },
    primaryType,
    types: {
      [primaryType]: [
        { name: 'permitted', type: single ? 'TokenPermissions' : 'TokenPermissions[]' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
        { name: 'witness', type: 'PaymentWitness' },
      ],
      TokenPermissions: [
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint256' },
      ],
      PaymentWitness: witnessFields(layout),
    },
    message: {
      permitted: single ? permitted[0] : permitted,
      spender: permit.spender.toLowerCase(),
      nonce: permit.nonce,
      deadline: permit.deadline,
      witness:
        layout === 'draft-00' ? permit.witness : { challengeHash: permit.witness.challengeHash },
    },
  } as unknown as TypedDataDefinition
}

export declare namespace typedData {
  type Parameters = {
    chainId: number
    permit2Address: string
    permit: Permit
    layout: WitnessLayout
  }
}

/**
 * The EIP-712 digest a permit's signature signs.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * declare const parameters: Permit2.typedData.Parameters
 * Permit2.digest(parameters)
 * ```
 */
export function digest(parameters: typedData.Parameters): Hex {
  return hashTypedData(typedData(parameters))
}

/**
 * The witness hash passed to Permit2: the EIP-712 struct hash of `PaymentWitness`.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * Permit2.witnessHash({ challengeHash: `0x${'00'.repeat(32)}`, externalId: '' }, 'draft-00')
 * ```
 */
export function witnessHash(witness: Witness, layout: WitnessLayout): Hex {
  if (layout === 'challenge-hash-only')
    return keccak256(
      encodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'bytes32' }],
        [keccak256(stringToHex('PaymentWitness(bytes32 challengeHash)')), witness.challengeHash],
      ),
    )
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }],
      [
        keccak256(stringToHex('PaymentWitness(bytes32 challengeHash,string externalId)')),
        witness.challengeHash,
        keccak256(stringToHex(witness.externalId)),
      ],
    ),
  )
}

/**
 * The calldata of the Permit2 call that settles a permit: `permitWitnessTransferFrom`,
 * single or batch overload (the draft's "permitBatchWitnessTransferFrom()" is the typed
 * data's name; the contract function is the batch overload).
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * declare const parameters: Permit2.encodeTransfer.Parameters
 * const data = Permit2.encodeTransfer(parameters)
 * ```
 */
export function encodeTransfer(parameters: encodeTransfer.Parameters): Hex {
  const { permit, transferDetails, owner, layout, signature } = parameters
  const permitted = permit.permitted.map((entry) => ({
    token: entry.token.toLowerCase() as Hex,
    amount: entry.amount,
  }))
  const details = transferDetails.map((entry) => ({
    to: entry.to.toLowerCase() as Hex,
    requestedAmount: entry.requestedAmount,
  }))
  const rest = [
    owner.toLowerCase() as Hex,
    witnessHash(permit.witness, layout),
    witnessTypeString[layout],
    signature,
  ] as const
  if (permitted.length === 1 && details.length === 1)
    return encodeFunctionData({
      abi,
      functionName: 'permitWitnessTransferFrom',
      args: [
        {
          permitted: permitted[0] as (typeof permitted)[0],
          nonce: permit.nonce,
          deadline: permit.deadline,
        },
        details[0] as (typeof details)[0],
        ...rest,
      ],
    })
  return encodeFunctionData({
    abi,
    functionName: 'permitWitnessTransferFrom',
    args: [{ permitted, nonce: permit.nonce, deadline: permit.deadline }, details, ...rest],
  })
}

export declare namespace encodeTransfer {
  type Parameters = {
    permit: Omit<Permit, 'spender'>
    transferDetails: readonly { to: string; requestedAmount: bigint }[]
    owner: string
    layout: WitnessLayout
    signature: Hex
  }
}

/**
 * Where an unordered Permit2 nonce lives: its bitmap word and bit.
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/method-evm'
 * Permit2.nonceBit(258n) // { word: 1n, bit: 2n }
 * ```
 */
export function nonceBit(nonce: bigint): { word: bigint; bit: bigint } {
  return { word: nonce >> 8n, bit: nonce & 0xffn }
}

function witnessFields(layout: WitnessLayout) {
  return layout === 'draft-00'
    ? [
        { name: 'challengeHash', type: 'bytes32' },
        { name: 'externalId', type: 'string' },
      ]
    : [{ name: 'challengeHash', type: 'bytes32' }]
}
