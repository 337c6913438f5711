// EIP-3009 `transferWithAuthorization` (draft-evm-charge-00 §5.3; also what x402's `exact`
// EVM scheme signs): the EIP-712 typed data under the token's own domain (name, version,
// chain, token address), signature recovery, and the calldata of the call that settles it.

import {
  encodeFunctionData,
  type Hex,
  parseAbi,
  parseSignature,
  recoverTypedDataAddress,
  type TypedDataDefinition,
} from 'viem'
import * as Address from './Address.js'
import { erc20Abi } from './Binding.js'
import type * as Chain from './Chain.js'
import * as Errors from './Errors.js'

/** The token's EIP-712 domain name and version (`name()`, `version()` on USDC-like tokens). */
export type Domain = { name: string; version: string }

/** An EIP-3009 authorization. */
export type Authorization = {
  from: string
  to: string
  value: bigint
  validAfter: bigint
  validBefore: bigint
  nonce: Hex
}

/**
 * The authorization an `authorization` payload (or an x402 `exact` EIP-3009 payload, whose
 * fields are the same decimal strings) describes.
 *
 * @example
 * ```ts
 * import { Authorization } from '@paywire/method-evm'
 * Authorization.fromPayload({ from: '0x1234567890abcdef1234567890abcdef12345678', to: '0x742d35cc6634c0532925a3b844bc9e7595f8fe00', value: '1000', validAfter: '0', validBefore: '1743523500', nonce: `0x${'00'.repeat(32)}` })
 * ```
 */
export function fromPayload(payload: {
  from: string
  to: string
  value: string
  validAfter: string
  validBefore: string
  nonce: string
}): Authorization {
  return {
    from: payload.from,
    to: payload.to,
    value: BigInt(payload.value),
    validAfter: BigInt(payload.validAfter),
    validBefore: BigInt(payload.validBefore),
    nonce: payload.nonce.toLowerCase() as Hex,
  }
}

/**
 * The EIP-3009 functions and views the charge uses.
 *
 * @example
 * ```ts
 * import { Authorization } from '@paywire/method-evm'
 * Authorization.abi.length > 0 // true
 * ```
 */
export const abi = parseAbi([
  'function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)',
  'function authorizationState(address authorizer, bytes32 nonce) view returns (bool)',
  'function name() view returns (string)',
  'function version() view returns (string)',
])

/**
 * The typed data a payer signs for `authorization` on `token` (chain `chainId`).
 *
 * @example
 * ```ts
 * import { Authorization } from '@paywire/method-evm'
 * declare const authorization: Authorization.Authorization
 * Authorization.typedData({ domain: { name: 'USD Coin', version: '2' }, chainId: 8453, token: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', authorization })
 * ```
 */
export function typedData(parameters: typedData.Parameters): TypedDataDefinition {
  const { authorization } = parameters
  return {
    domain: {
      name: parameters.domain.name,
      version: parameters.domain.version,
      chainId: parameters.chainId,
      verifyingContract: parameters.token.toLowerCase() as Hex,
    },
    primaryType: 'TransferWithAuthorization',
    types: {
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    message: {
      ...authorization,
      from: authorization.from.toLowerCase(),
      to: authorization.to.toLowerCase(),
    },
  } as unknown as TypedDataDefinition
}

export declare namespace typedData {
  type Parameters = { domain: Domain; chainId: number; token: string; authorization: Authorization }
}

/**
 * The address that signed an authorization (an EOA), or `undefined` when the signature
 * cannot be recovered.
 *
 * @example
 * ```ts
 * import { Authorization } from '@paywire/method-evm'
 * declare const parameters: Authorization.typedData.Parameters
 * await Authorization.recover({ ...parameters, signature: '0x…' })
 * ```
 */
export async function recover(
  parameters: typedData.Parameters & { signature: Hex },
): Promise<string | undefined> {
  try {
    return await recoverTypedDataAddress({
      ...(typedData(parameters) as Parameters<typeof recoverTypedDataAddress>[0]),
      signature: parameters.signature,
    })
  } catch {
    return undefined
  }
}

/**
 * The calldata of `transferWithAuthorization(…, v, r, s)` for a signed authorization.
 *
 * @example
 * ```ts
 * import { Authorization } from '@paywire/method-evm'
 * declare const authorization: Authorization.Authorization
 * Authorization.encodeTransfer(authorization, '0x…')
 * ```
 */
export function encodeTransfer(authorization: Authorization, signature: Hex): Hex {
  const { r, s, v, yParity } = parseSignature(signature)
  return encodeFunctionData({
    abi,
    functionName: 'transferWithAuthorization',
    args: [
      authorization.from.toLowerCase() as Hex,
      authorization.to.toLowerCase() as Hex,
      authorization.value,
      authorization.validAfter,
      authorization.validBefore,
      authorization.nonce,
      Number(v ?? BigInt(27 + (yParity ?? 0))),
      r,
      s,
    ],
  })
}

/**
 * The checks of an EIP-3009 authorization that do not depend on what it pays for
 * (draft-evm-charge-00 §6.2 steps 2, 6, 7; also x402's `exact` scheme): the validity
 * window against `now` (seconds), the signature against `from`, the payer's balance, and
 * the nonce unused on the token. The caller checks recipient, value and nonce binding.
 *
 * @throws {Errors.AuthorizationExpiredError} outside the validity window.
 * @throws {Errors.SignatureInvalidError} when `from` did not sign it.
 * @throws {Errors.InsufficientFundsError} when `from` cannot pay `value`.
 * @throws {Errors.AlreadyUsedError} when the token already used or canceled the nonce.
 * @example
 * ```ts
 * import { Authorization, Chain } from '@paywire/method-evm'
 * declare const authorization: Authorization.Authorization
 * await Authorization.verify({
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 1337 }),
 *   token: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
 *   domain: { name: 'Local USD', version: '2' },
 *   authorization,
 *   signature: '0x…',
 *   now: BigInt(Math.floor(Date.now() / 1000)),
 * })
 * ```
 */
export async function verify(parameters: verify.Parameters): Promise<void> {
  const { authorization, chain, token } = parameters
  if (authorization.validBefore <= parameters.now)
    throw new Errors.AuthorizationExpiredError(
      `the authorization expired at ${authorization.validBefore}`,
    )
  if (authorization.validAfter >= parameters.now)
    throw new Errors.AuthorizationExpiredError(
      `the authorization is valid only after ${authorization.validAfter}`,
    )
  const signer = await recover({ ...parameters, chainId: chain.chainId })
  if (signer === undefined || !Address.same(signer, authorization.from))
    throw new Errors.SignatureInvalidError('the authorization was not signed by its from account')
  const balance = await chain.read<bigint>({
    address: token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [authorization.from],
  })
  if (balance < authorization.value)
    throw new Errors.InsufficientFundsError('the payer cannot cover the payment')
  const used = await chain.read<boolean>({
    address: token,
    abi,
    functionName: 'authorizationState',
    args: [authorization.from, authorization.nonce],
  })
  if (used) throw new Errors.AlreadyUsedError('the authorization was already used or canceled')
}

export declare namespace verify {
  type Parameters = {
    chain: Chain.Chain
    token: string
    domain: Domain
    authorization: Authorization
    signature: Hex
    /** Seconds since the epoch. */
    now: bigint
  }
}
