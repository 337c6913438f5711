// The client side of Tempo sessions, v1 escrow (draft-tempo-session §"Open Payload",
// §"TopUp Payload", §"Voucher Signing Format", §"Client Requirements" of fee payment):
// builds and signs the open and top-up transactions (approve + escrow call in one Tempo
// transaction, fees paid by the payer or left to a sponsoring server) within a deposit
// cap, and signs vouchers, keeping each channel in a Store so a restarted agent resumes it.
import { Errors, Store } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
  zeroAddress,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** A channel as the payer keeps it. */
export type Channel = {
  channelId: Hex
  payee: Address
  /** Total deposited (base units, decimal string). */
  deposit: string
  /** Highest cumulative amount signed so far (decimal string). */
  signed: string
}

/** A channel as the v1 escrow holds it (`getChannel`). */
export type OnChain = {
  payer: Address
  payee: Address
  token: Address
  deposit: bigint
  settled: bigint
  closeRequestedAt: bigint
  finalized: boolean
}

/** The payer: a plain object of functions over one key, one escrow and one store. */
export type Payer = {
  readonly address: Address
  /**
   * Signs an open transaction and the initial voucher (0) for a new channel. With
   * `feePayer`, the fee payer slot holds the `0x00` placeholder and no fee token is set,
   * for the server to co-sign (the challenge's `methodDetails.feePayer: true`).
   */
  open(parameters: {
    payee: Address
    deposit: bigint
    salt?: Hex | undefined
    feePayer?: boolean | undefined
  }): Promise<{
    channelId: Hex
    transaction: Hex
    cumulativeAmount: bigint
    signature: Hex
  }>
  /**
   * Signs a top-up transaction within the deposit cap. The stored deposit is unchanged
   * until {@link Payer.deposited} records the top-up as accepted.
   */
  topUp(
    channelId: Hex,
    additionalDeposit: bigint,
    options?: { feePayer?: boolean | undefined },
  ): Promise<{ channelId: Hex; transaction: Hex; additionalDeposit: bigint }>
  /** Records a deposit of `deposit` in all (never lowers the stored one). */
  deposited(channelId: Hex, deposit: bigint): Promise<void>
  /** The channel as the escrow holds it on chain (a zero payer when it does not exist). */
  onChain(channelId: Hex): Promise<OnChain>
  /** Signs a voucher for `cumulativeAmount`, never above the channel's deposit. */
  voucher(
    channelId: Hex,
    cumulativeAmount: bigint,
  ): Promise<{ channelId: Hex; cumulativeAmount: bigint; signature: Hex }>
  /** The stored channel, if any. */
  channel(channelId: Hex): Promise<Channel | undefined>
  /** Forgets a channel the server reports as gone (closed or unknown). */
  forget(channelId: Hex): Promise<void>
}

/**
 * Creates a payer.
 *
 * @example
 * ```ts
 * import { Payer } from '@paywire/method-tempo-session'
 * import { MemoryStore } from '@paywire/store-memory'
 * declare const client: import('viem').PublicClient
 * const payer = Payer.create({
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   client,
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   store: MemoryStore.create(),
 *   maxDeposit: 10_000_000n,
 * })
 * const open = await payer.open({ payee: '0x742d35cc6634c0532925a3b844bc9e7595f8fe00', deposit: 5_000_000n })
 * ```
 */
export function create(parameters: create.Parameters): Payer {
  const { client, chainId, escrow, currency, store, maxDeposit } = parameters
  const account = privateKeyToAccount(parameters.privateKey)
  const key = (channelId: Hex) => `paywire:session-payer:${channelId.toLowerCase()}`
  const read = async (channelId: Hex) =>
    (await store.get(key(channelId)))?.value as Channel | undefined

  const transaction = async (
    calls: { to: Address; data: Hex }[],
    gas: bigint,
    feePayer: boolean | undefined,
  ) => {
    const [nonce, block] = await Promise.all([
      client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
      client.getBlock(),
    ])
    const envelope = TxEnvelopeTempo.from({
      chainId,
      calls,
      nonce: BigInt(nonce),
      nonceKey: 0n,
      gas,
      maxFeePerGas: (block.baseFeePerGas ?? 1n) * 2n,
      maxPriorityFeePerGas: 0n,
      // A sponsored transaction leaves the fee token to the server and marks the fee payer
      // slot with the 0x00 placeholder (draft-tempo-session §"Server-Paid Fees").
      ...(feePayer === true
        ? { feePayerSignature: null }
        : { feeToken: parameters.feeToken ?? '0x20c0000000000000000000000000000000000000' }),
    })
    const signature = Secp256k1.sign({
      payload: TxEnvelopeTempo.getSignPayload(envelope),
      privateKey: parameters.privateKey,
    })
    return TxEnvelopeTempo.serialize(envelope, { signature }) as Hex
  }
  const approve = (amount: bigint) => ({
    to: currency,
    data: encodeFunctionData({ abi: approveAbi, functionName: 'approve', args: [escrow, amount] }),
  })
  const sign = (channelId: Hex, cumulativeAmount: bigint) =>
    account.signTypedData({
      domain: Escrow.domain({ chainId, verifyingContract: escrow }),
      types: Escrow.voucherTypes,
      primaryType: 'Voucher',
      message: { channelId, cumulativeAmount },
    })

  return {
    address: account.address,

    async open({ payee, deposit, salt, feePayer }) {
      if (maxDeposit !== undefined && deposit > maxDeposit)
        throw new PolicyError(`a deposit of ${deposit} exceeds the cap of ${maxDeposit}`)
      const channelSalt = salt ?? randomSalt()
      const channelId = keccak256(
        encodeAbiParameters(channelIdParameters, [
          account.address,
          payee,
          currency,
          channelSalt,
          zeroAddress,
          escrow,
          BigInt(chainId),
        ]),
      )
      const open = {
        to: escrow,
        data: encodeFunctionData({
          abi: Escrow.abi,
          functionName: 'open',
          args: [payee, currency, deposit, channelSalt, zeroAddress],
        }),
      }
      const signed = await transaction(
        [approve(deposit), open],
        parameters.openGas ?? 3_000_000n,
        feePayer,
      )
      const channel: Channel = { channelId, payee, deposit: deposit.toString(), signed: '0' }
      await store.put(key(channelId), channel)
      return {
        channelId,
        transaction: signed,
        cumulativeAmount: 0n,
        signature: await sign(channelId, 0n),
      }
    },

    async topUp(channelId, additionalDeposit, options = {}) {
      const channel = await read(channelId)
      if (channel === undefined) throw new UnknownChannelError(`no stored channel ${channelId}`)
      const deposit = BigInt(channel.deposit) + additionalDeposit
      if (maxDeposit !== undefined && deposit > maxDeposit)
        throw new PolicyError(`a deposit of ${deposit} in all exceeds the cap of ${maxDeposit}`)
      const topUp = {
        to: escrow,
        data: encodeFunctionData({
          abi: Escrow.abi,
          functionName: 'topUp',
          args: [channelId, additionalDeposit],
        }),
      }
      const signed = await transaction(
        [approve(additionalDeposit), topUp],
        parameters.topUpGas ?? 1_500_000n,
        options.feePayer,
      )
      return { channelId, transaction: signed, additionalDeposit }
    },

    async deposited(channelId, deposit) {
      await Store.update(store, key(channelId), (current) => {
        const stored = current as Channel | undefined
        if (stored === undefined || BigInt(stored.deposit) >= deposit) return undefined
        return { ...stored, deposit: deposit.toString() }
      })
    },

    async onChain(channelId) {
      return client.readContract({
        address: escrow,
        abi: Escrow.abi,
        functionName: 'getChannel',
        args: [channelId],
      })
    },

    async voucher(channelId, cumulativeAmount) {
      const channel = await read(channelId)
      if (channel === undefined) throw new UnknownChannelError(`no stored channel ${channelId}`)
      if (cumulativeAmount > BigInt(channel.deposit))
        throw new PolicyError(
          `a voucher for ${cumulativeAmount} exceeds the deposit ${channel.deposit}: top up first`,
        )
      // The highest amount signed is stored before the signature leaves this function.
      await Store.update(store, key(channelId), (current) => {
        const stored = current as Channel | undefined
        if (stored === undefined || BigInt(stored.signed) >= cumulativeAmount) return undefined
        return { ...stored, signed: cumulativeAmount.toString() }
      })
      return { channelId, cumulativeAmount, signature: await sign(channelId, cumulativeAmount) }
    },

    channel: read,
    forget: (channelId) => store.delete(key(channelId)),
  }
}

export declare namespace create {
  type Parameters = {
    privateKey: Hex
    /** Reads the nonce and the base fee. */
    client: PublicClient
    chainId: number
    escrow: Address
    /** The channels' TIP-20 token (the challenge's `currency`). */
    currency: Address
    /** Where the payer keeps its channels. */
    store: Store.Store
    /** The most this payer locks in one channel, top-ups included. */
    maxDeposit?: bigint | undefined
    /** The fee token (default pathUSD). */
    feeToken?: Hex | undefined
    /** Gas limits signed for open and top-up transactions. */
    openGas?: bigint | undefined
    topUpGas?: bigint | undefined
  }
}

const approveAbi = parseAbi(['function approve(address spender, uint256 amount) returns (bool)'])

const channelIdParameters = [
  { type: 'address' },
  { type: 'address' },
  { type: 'address' },
  { type: 'bytes32' },
  { type: 'address' },
  { type: 'address' },
  { type: 'uint256' },
] as const

function randomSalt(): Hex {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/** The payer's policy refuses: a deposit above the cap, a voucher above the deposit. */
export class PolicyError extends Errors.BaseError {
  override readonly name = 'Payer.PolicyError'
  readonly code = 'ERR_SESSION_PAYER_POLICY'
  readonly problem = undefined
}

/** The payer has no such channel in its store. */
export class UnknownChannelError extends Errors.BaseError {
  override readonly name = 'Payer.UnknownChannelError'
  readonly code = 'ERR_SESSION_PAYER_UNKNOWN_CHANNEL'
  readonly problem = undefined
}
