// The client half of the Tempo charge (draft-tempo-charge-00): checks the request, then
// signs a 0x76 transaction doing exactly the asked transfers (transferWithMemo where a
// memo is asked), valid no later than the challenge's expiry. The primary transfer is
// bound to the challenge (Binding.ts): it carries the memo the challenge names, or else
// the attribution memo of mppx 0.11 for the challenge. Pull mode returns the transaction
// for the server to broadcast; push mode broadcasts it and returns the hash. With
// `feePayer`, the fee token is left empty and the fee payer slot holds the 0x00 placeholder.
import { Charge, Errors, Expires, Method } from '@paywire/core'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as Binding from './Binding.js'
import type * as Chain from './Chain.js'
import type * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as Proof from './Proof.js'
import * as Source from './Source.js'
import * as Transfer from './Transfer.js'

/**
 * The client half of the Tempo charge.
 *
 * @example
 * ```ts
 * import { Chain, Client } from '@paywire/method-tempo'
 * const tempo = Client.client({
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337 }),
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   mode: 'pull',
 * })
 * ```
 */
export function client(
  options: client.Options,
): Method.Client<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  const account = privateKeyToAccount(options.privateKey)
  const { chain } = options
  return Method.defineClient({
    method: 'tempo',
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    async createCredential({
      challenge,
      request: input,
    }): Promise<{ payload: ChargePayload.ChargePayload; source: string }> {
      const parsed = ChargeRequest.schema.safeParse(input)
      if (!parsed.success)
        throw new RequestRefusedError(`the request is invalid: ${parsed.error.issues[0]?.message}`)
      const request = parsed.data
      const { chainId } = request.methodDetails
      if (chainId !== chain.chainId)
        throw new RequestRefusedError(
          `the challenge is for chain ${chainId}, this client pays on ${chain.chainId}`,
        )
      const source = Source.format({ chainId, address: account.address })
      if (request.amount === '0') {
        const signature = await Proof.sign({ account, challengeId: challenge.id, chainId })
        return { payload: { type: 'proof', signature }, source }
      }
      const allowed = ChargeRequest.modes(request)
      const preferred = options.mode ?? 'pull'
      const mode = allowed.includes(preferred) ? preferred : allowed[0]
      if (mode === undefined)
        throw new RequestRefusedError('the challenge offers no mode this client can use')
      const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000)
      const validity = options.validitySeconds ?? 120
      const expires =
        challenge.expires === undefined
          ? Number.POSITIVE_INFINITY
          : Math.floor(Expires.parse(challenge.expires) / 1000)
      const validBefore = Math.min(expires, nowSeconds + validity)
      if (validBefore <= nowSeconds) throw new RequestRefusedError('the challenge has expired')
      const bound =
        request.methodDetails.memo !== undefined || options.attribution === false
          ? request
          : {
              ...request,
              methodDetails: {
                ...request.methodDetails,
                memo: Binding.attribution(challenge, { clientId: options.clientId }),
              },
            }
      const serialized = await sign({
        request: bound,
        account: account.address,
        validBefore,
        options,
      })
      if (mode === 'pull')
        return { payload: { type: 'transaction', signature: serialized }, source }
      const receipt = await chain.sendRawTransactionSync(serialized)
      if (receipt.status !== 'success')
        throw new RequestRefusedError(`the payment transaction ${receipt.transactionHash} reverted`)
      return { payload: { type: 'hash', hash: receipt.transactionHash }, source }
    },
  })
}

export declare namespace client {
  type Options = {
    /** The chain to pay on. */
    chain: Chain.Chain
    /** The payer's secp256k1 key. */
    privateKey: Hex
    /** Preferred mode when the challenge offers both; default `pull`. */
    mode?: ChargeRequest.Mode | undefined
    /** Fee token when the client pays its fees; default pathUSD. */
    feeToken?: string | undefined
    /** Longest validity given to a signed transaction; default 120 s (never past `expires`). */
    validitySeconds?: number | undefined
    /**
     * Whether a transfer for a challenge that names no memo carries the attribution memo of
     * mppx 0.11 for that challenge (default `true`): the binding mppx servers and paywire
     * servers with `binding: 'attribution'` require. `false` pays such a challenge with
     * plain transfers, which only a server that binds nothing would accept.
     */
    attribution?: boolean | undefined
    /** The client part of the attribution memo (hashed into it); none by default. */
    clientId?: string | undefined
    /** Clock, milliseconds; default `Date.now`. */
    now?: (() => number) | undefined
  }
}

async function sign(parameters: {
  request: ChargeRequest.ChargeRequest
  account: string
  validBefore: number
  options: client.Options
}): Promise<`0x76${string}`> {
  const { request, account, validBefore, options } = parameters
  const { chain } = options
  const feePayer = request.methodDetails.feePayer === true
  const feeToken = options.feeToken ?? '0x20c0000000000000000000000000000000000000'
  const calls = ChargeRequest.transfers(request).map((transfer) => ({
    to: request.currency as Hex,
    data: Transfer.encode(transfer),
  }))
  const [nonce, gas, baseFee] = await Promise.all([
    chain.getNonce(account),
    chain.estimateGas({ from: account, calls, feeToken: feePayer ? undefined : feeToken }),
    chain.getBaseFee(),
  ])
  const envelope = TxEnvelopeTempo.from({
    chainId: request.methodDetails.chainId,
    calls,
    nonce,
    nonceKey: 0n,
    gas: gasLimit(gas, nonce, calls.length),
    maxFeePerGas: baseFee * 2n,
    maxPriorityFeePerGas: 0n,
    validBefore,
    ...(feePayer ? { feePayerSignature: null } : { feeToken: feeToken as Hex }),
  })
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey: options.privateKey,
  })
  return TxEnvelopeTempo.serialize(envelope, { signature })
}

/**
 * The gas limit signed: the node's estimate, but never below a floor for TIP-20 transfers
 * that may create state (Tempo charges 250,000 gas per new storage slot and for an
 * account's first transaction). anvil's estimate for batched calls ignores that cost.
 */
function gasLimit(estimate: bigint, nonce: bigint, calls: number): bigint {
  const floor = 21_000n + (nonce === 0n ? 260_000n : 0n) + 290_000n * BigInt(calls)
  return estimate > floor ? estimate : floor
}

/** The client refuses to pay a challenge (invalid request, wrong chain, expired, no usable mode). */
export class RequestRefusedError extends Errors.BaseError {
  override readonly name = 'Client.RequestRefusedError'
  readonly code = 'ERR_TEMPO_REQUEST_REFUSED'
  readonly problem = undefined
}
