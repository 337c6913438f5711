// Building each credential payload of the EVM charge, once the type is chosen.
import type { Challenge } from '@paywire/core'
import { bytesToBigInt, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import * as Authorization from '../../Authorization.js'
import * as Binding from '../../Binding.js'
import type * as Chain from '../../Chain.js'
import * as ChallengeHash from '../../ChallengeHash.js'
import type * as ChargePayload from '../../ChargePayload.js'
import * as ChargeRequest from '../../ChargeRequest.js'
import * as Errors from '../../Errors.js'
import * as Confirmation from '../../internal/confirmation.js'
import * as Permit2 from '../../Permit2.js'

/** @internal What a payload is built from. */
export type Context = {
  chain: Chain.Chain
  account: PrivateKeyAccount
  request: ChargeRequest.ChargeRequest
  challenge: Challenge.Challenge
  /** Latest second the signed authorization may be used. */
  deadline: bigint
  eip3009: Record<string, Authorization.Domain> | undefined
}

/** @internal The payload of `type` for the request. */
export async function payload(
  type: ChargeRequest.CredentialType,
  context: Context,
): Promise<ChargePayload.ChargePayload> {
  if (type === 'permit2') return permit2(context)
  if (type === 'authorization') return authorization(context)
  const signature = await transfer(context)
  if (type === 'transaction') return { type, signature }
  return { type, hash: await broadcast(context.chain, signature) }
}

/** @internal Whether the payer's Permit2 allowance and balance cover the request. */
export async function permit2Allowed(context: Context): Promise<boolean> {
  const { chain, request, account } = context
  const read = (functionName: 'allowance' | 'balanceOf', args: readonly unknown[]) =>
    chain.read<bigint>({ address: request.currency, abi: Binding.erc20Abi, functionName, args })
  const total = BigInt(request.amount)
  const allowance = await read('allowance', [account.address, request.methodDetails.permit2Address])
  return allowance >= total
}

async function permit2(context: Context): Promise<ChargePayload.Permit2Payload> {
  const { request, challenge, account, chain } = context
  const transfers = ChargeRequest.transfers(request)
  const challengeHash = ChallengeHash.from(challenge)
  const externalId = request.externalId ?? ''
  const permit: Permit2.Permit = {
    permitted: transfers.map((transfer) => ({ token: request.currency, amount: transfer.amount })),
    spender: request.methodDetails.spender as string,
    nonce: bytesToBigInt(crypto.getRandomValues(new Uint8Array(31))),
    deadline: context.deadline,
    witness: { challengeHash, externalId },
  }
  const typed = Permit2.typedData({
    chainId: chain.chainId,
    permit2Address: request.methodDetails.permit2Address,
    permit,
    layout: 'draft-00',
  })
  return {
    type: 'permit2',
    permit: {
      permitted: permit.permitted.map((entry) => ({
        token: entry.token,
        amount: String(entry.amount),
      })),
      nonce: String(permit.nonce),
      deadline: String(permit.deadline),
    },
    transferDetails: transfers.map((transfer) => ({
      to: transfer.recipient,
      requestedAmount: String(transfer.amount),
    })),
    witness: request.externalId === undefined ? { challengeHash } : { challengeHash, externalId },
    signature: await account.signTypedData(typed as Parameters<typeof account.signTypedData>[0]),
  }
}

async function authorization(context: Context): Promise<ChargePayload.AuthorizationPayload> {
  const { request, challenge, account, chain } = context
  const domain =
    context.eip3009?.[request.currency.toLowerCase()] ?? (await readDomain(chain, request.currency))
  const signed: Authorization.Authorization = {
    from: account.address,
    to: request.recipient,
    value: BigInt(request.amount),
    validAfter: 0n,
    validBefore: context.deadline,
    nonce: ChallengeHash.from(challenge),
  }
  const typed = Authorization.typedData({
    domain,
    chainId: chain.chainId,
    token: request.currency,
    authorization: signed,
  })
  return {
    type: 'authorization',
    from: signed.from,
    to: signed.to,
    value: String(signed.value),
    validAfter: '0',
    validBefore: String(signed.validBefore),
    nonce: signed.nonce,
    signature: await account.signTypedData(typed as Parameters<typeof account.signTypedData>[0]),
  }
}

async function readDomain(chain: Chain.Chain, token: string): Promise<Authorization.Domain> {
  const read = (functionName: 'name' | 'version') =>
    chain.read<string>({ address: token, abi: Authorization.abi, functionName })
  try {
    return { name: await read('name'), version: await read('version') }
  } catch (cause) {
    throw new Errors.RequestRefusedError(
      'the token does not tell its EIP-712 domain (name, version)',
      { cause },
    )
  }
}

/** A signed EIP-1559 transfer of the amount to the recipient, bound to the challenge. */
async function transfer(context: Context): Promise<Hex> {
  const { request, challenge, account, chain } = context
  const data = Binding.encode({
    recipient: request.recipient,
    amount: BigInt(request.amount),
    challengeHash: ChallengeHash.from(challenge),
  })
  const call = { from: account.address, to: request.currency, data }
  const simulated = await chain.simulate(call)
  if (!simulated.ok)
    throw new Errors.RequestRefusedError('the transfer would revert (balance too low?)')
  const estimate = await chain.estimateGas(call)
  const block = await chain.getLatestBlock()
  const priority = await chain.getMaxPriorityFeePerGas()
  return account.signTransaction({
    type: 'eip1559',
    chainId: chain.chainId,
    nonce: Number(await chain.getNonce(account.address)),
    to: request.currency.toLowerCase() as Hex,
    data,
    value: 0n,
    gas: estimate + estimate / 5n,
    maxPriorityFeePerGas: priority,
    maxFeePerGas: block.baseFeePerGas * 2n + priority,
  })
}

async function broadcast(chain: Chain.Chain, serialized: Hex): Promise<Hex> {
  const hash = await chain.sendRawTransaction(serialized)
  const receipt = await Confirmation.wait(chain, hash.toLowerCase() as Hex, {
    confirmations: 1,
    timeoutMs: 60_000,
    pollMs: 200,
  })
  if (receipt.status !== 'success')
    throw new Errors.RequestRefusedError(`the payment transaction ${hash} reverted`)
  return receipt.transactionHash
}
