// The server's own transactions for `permit2` and `authorization` credentials, whose gas
// the server pays (draft-evm-charge-00 §5.6; §10.6 "Fee Payer Risks"): every call is
// simulated on the pending state before anything is signed, its worst-case fee is checked
// against a per-payment cap, a lifetime budget and the native balance (reserved
// atomically, so concurrent payments cannot overbook), and only the fee of a receipt of a
// transaction this sponsor signed and broadcast is ever counted as spent.
import type { Hex } from 'viem'
import { keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type * as Chain from '../Chain.js'
import * as Errors from '../Errors.js'
import * as Confirmation from '../internal/confirmation.js'

/** A sponsor: the account that submits and pays for the server's settlement transactions. */
export type Sponsor = {
  /** The sponsor's address (the Permit2 `spender`). */
  readonly address: string
  /** Wei spent on fees of receipts of transactions this sponsor broadcast. */
  spent(): bigint
  /** Wei reserved for transactions broadcast and not yet settled. */
  reserved(): bigint
  /**
   * Simulates a call from the sponsor on the pending state.
   *
   * @throws {Errors.WouldRevertError} when it would revert.
   */
  simulate(parameters: { chain: Chain.Chain; to: string; data: Hex }): Promise<void>
  /**
   * Simulates, prices and reserves, runs `beforeBroadcast` (the caller's atomic replay
   * claim), then signs, broadcasts and waits for the receipt with `confirmations`.
   */
  submit(parameters: submit.Parameters): Promise<{ hash: Hex; receipt: Chain.Receipt }>
}

export declare namespace submit {
  type Parameters = {
    chain: Chain.Chain
    to: string
    data: Hex
    beforeBroadcast(): Promise<void>
    confirmations: Confirmation.Options
  }
}

/**
 * A sponsor from a private key and a policy (amounts in wei).
 *
 * @example
 * ```ts
 * import { Sponsor } from '@paywire/method-evm/server'
 * const sponsor = Sponsor.from({
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   maxFeePerPayment: 10n ** 15n, // 0.001 ETH
 *   budget: 10n ** 17n, // 0.1 ETH in all
 * })
 * ```
 */
export function from(options: from.Options): Sponsor {
  const account = privateKeyToAccount(options.privateKey)
  const state = { spent: 0n, reserved: 0n }
  const broadcast = sender(account.address)
  const simulate = async ({ chain, to, data }: { chain: Chain.Chain; to: string; data: Hex }) => {
    const outcome = await chain.simulate({ from: account.address, to, data })
    if (!outcome.ok)
      throw new Errors.WouldRevertError('the settlement transaction reverts on the current state', {
        cause: new Error(`revert data ${outcome.revertData ?? 'none'}`),
      })
  }
  return {
    address: account.address,
    spent: () => state.spent,
    reserved: () => state.reserved,
    simulate,
    async submit({ chain, to, data, beforeBroadcast, confirmations }) {
      // Never sign what was not simulated.
      await simulate({ chain, to, data })
      const fees = await price(chain, { from: account.address, to, data }, options)
      const balance = await chain.getBalance(account.address)
      reserve(state, fees.maxFee, balance, options)
      let hash: Hex
      try {
        await beforeBroadcast()
        hash = await broadcast(chain, (nonce) =>
          account.signTransaction({
            type: 'eip1559',
            chainId: chain.chainId,
            nonce: Number(nonce),
            to: to.toLowerCase() as Hex,
            data,
            value: 0n,
            gas: fees.gas,
            maxFeePerGas: fees.maxFeePerGas,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          }),
        )
      } catch (error) {
        // Possibly broadcast: its fee stays reserved, as for any transaction on its way.
        if (!(error instanceof Errors.SettlementUnknownError)) state.reserved -= fees.maxFee
        throw error
      }
      // Broadcast: until its receipt is known, its worst-case fee stays reserved.
      const receipt = await Confirmation.wait(chain, hash, confirmations)
      state.reserved -= fees.maxFee
      if (receipt.transactionHash === hash)
        state.spent += receipt.gasUsed * receipt.effectiveGasPrice
      return { hash, receipt }
    },
  }
}

export declare namespace from {
  type Options = {
    /** The sponsor's secp256k1 key. */
    privateKey: Hex
    /** Largest worst-case fee (gas limit × max fee per gas) paid for one payment, wei. */
    maxFeePerPayment: bigint
    /** Total fees this sponsor may pay over its lifetime, wei. */
    budget: bigint
    /** Largest priority fee per gas offered; default 2 gwei. */
    maxPriorityFeePerGas?: bigint | undefined
    /** Native balance never spent below (kept for other uses); default 0. */
    reserve?: bigint | undefined
  }
}

/** Signs and broadcasts one transaction at a time, assigning the account's nonces in order. */
function sender(address: string) {
  let nextNonce = 0n
  let lock: Promise<unknown> = Promise.resolve()
  return (chain: Chain.Chain, signed: (nonce: bigint) => Promise<Hex>): Promise<Hex> => {
    const next = lock.then(async () => {
      const nonce = bigMax(nextNonce, await chain.getNonce(address))
      const serialized = await signed(nonce)
      const hash = keccak256(serialized)
      await Confirmation.send(chain, serialized, hash)
      nextNonce = nonce + 1n
      return hash
    })
    lock = next.catch(() => undefined)
    return next
  }
}

type Fees = { gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; maxFee: bigint }

async function price(chain: Chain.Chain, call: Chain.Call, options: from.Options): Promise<Fees> {
  const estimate = await chain.estimateGas(call)
  const gas = estimate + estimate / 5n
  const block = await chain.getLatestBlock()
  const cap = options.maxPriorityFeePerGas ?? 2_000_000_000n
  const suggested = await chain.getMaxPriorityFeePerGas()
  const maxPriorityFeePerGas = suggested < cap ? suggested : cap
  const maxFeePerGas = block.baseFeePerGas * 2n + maxPriorityFeePerGas
  const maxFee = gas * maxFeePerGas
  if (maxFee > options.maxFeePerPayment)
    throw new Errors.SponsorRefusedError('the server cannot pay the gas of this payment now', {
      cause: new Error(`worst-case fee ${maxFee} wei exceeds the per-payment cap`),
    })
  return { gas, maxFeePerGas, maxPriorityFeePerGas, maxFee }
}

/** Checks and reserves synchronously (no await in between): concurrent calls cannot overbook. */
function reserve(
  state: { spent: bigint; reserved: bigint },
  maxFee: bigint,
  balance: bigint,
  options: from.Options,
): void {
  const refuse = (why: string) =>
    new Errors.SponsorRefusedError('the server cannot pay the gas of this payment now', {
      cause: new Error(why),
    })
  if (state.spent + state.reserved + maxFee > options.budget)
    throw refuse(`budget ${options.budget}, spent ${state.spent}, reserved ${state.reserved}`)
  if (balance < state.reserved + maxFee + (options.reserve ?? 0n))
    throw refuse(`native balance ${balance} cannot cover ${state.reserved + maxFee}`)
  state.reserved += maxFee
}

function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
