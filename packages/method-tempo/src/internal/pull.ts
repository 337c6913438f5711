// Pull mode (draft-tempo-charge-00 §"Transaction Verification", §"Settlement Procedure",
// §"Server-Paid Fees"): everything is checked before anything is broadcast. The signed
// transaction must do exactly what the challenge asks, bound to it (Binding.ts); its calls
// must succeed on the pending state (simulated; the fee payer simulates before it
// co-signs). A transaction the chain already has is never broadcast or sponsored again:
// bound to this challenge it is this challenge's earlier attempt (its receipt is checked),
// unbound it is refused. The hash is claimed once, and the receipt checked again.
import { type Hex, keccak256 } from 'viem'
import * as Binding from '../Binding.js'
import type * as Chain from '../Chain.js'
import type * as ChargeRequest from '../ChargeRequest.js'
import type * as FeePayer from '../FeePayer.js'
import * as Settlement from '../Settlement.js'
import * as Transaction from '../Transaction.js'
import { assertSource, ModeRefusedError, type Verification } from './verification.js'

/**
 * @internal A pull payment after every check that moves no money: `fresh` (simulated, its
 * fee reserved when sponsored, ready to broadcast) or `mined` (the chain already has it:
 * a retry of a challenge whose first answer was lost).
 */
export type Prepared =
  | {
      kind: 'fresh'
      sender: string
      serialized: Hex
      hash: Hex
      bound: boolean
      sponsorship: FeePayer.Sponsorship | undefined
    }
  | { kind: 'mined'; sender: string; hash: Hex; receipt: Chain.Receipt }

/** @internal Every check of a pull payment that moves no money (also the method's `check`). */
export async function prepare(
  parameters: Verification & { serialized: string; expires: number | undefined },
): Promise<Prepared> {
  const { request, context, options, source, challenge } = parameters
  const { chain } = options
  const decoded = Transaction.deserialize(parameters.serialized)
  if (source !== undefined) assertSource(source, decoded.sender, chain.chainId)
  Transaction.verify(decoded, {
    request,
    challenge,
    expires: parameters.expires,
    now: Math.floor(context.now() / 1000),
  })
  const { envelope, sender } = decoded
  const sponsored = request.methodDetails.feePayer === true
  if (sponsored && options.feePayer === undefined)
    throw new ModeRefusedError('this server has no fee payer')
  const serialized = parameters.serialized as Hex
  const hash = sponsored
    ? (options.feePayer as FeePayer.FeePayer).hashOf({ envelope, sender })
    : keccak256(serialized)
  const { bound } = Binding.of(request, challenge)
  const mined = await chain.getTransactionReceipt(hash)
  if (mined !== undefined) {
    // Bound to this challenge, it can only be this challenge's own earlier attempt. Unbound,
    // it may be anyone's transaction read back from the chain.
    if (!bound)
      throw new Settlement.PaymentAlreadyUsedError(
        `transaction ${hash} is already on chain: this challenge is paid by a transaction only this server broadcasts`,
      )
    return { kind: 'mined', sender, hash, receipt: mined }
  }
  if (!sponsored) {
    await assertSimulated(chain, decoded, request)
    return { kind: 'fresh', sender, serialized, hash, bound, sponsorship: undefined }
  }
  // Policy, simulation, co-signature, reservation (FeePayer.ts).
  const sponsorship = await (options.feePayer as FeePayer.FeePayer).sponsor({
    envelope,
    sender,
    chain,
  })
  return { kind: 'fresh', sender, serialized: sponsorship.serialized, hash, bound, sponsorship }
}

/**
 * @internal Ends a `check`: a mined transaction's receipt is checked; a fresh one's fee
 * reservation is released (nothing was sent).
 */
export function inspect(prepared: Prepared, parameters: Verification): void {
  if (prepared.kind === 'fresh') {
    prepared.sponsorship?.release()
    return
  }
  const { request, challenge } = parameters
  Settlement.verifyReceipt({
    receipt: prepared.receipt,
    request,
    challenge,
    payer: prepared.sender,
  })
}

/** @internal Broadcasts (unless mined), confirms and claims a pull payment; returns its hash. */
export async function settle(
  prepared: Prepared,
  parameters: Verification & { ttlSeconds: number | undefined },
): Promise<Hex> {
  const { request, context, options, challenge } = parameters
  const { chain } = options
  const { hash } = prepared
  const claim = () =>
    Settlement.claim({ context, chainId: chain.chainId, hash, ttlSeconds: parameters.ttlSeconds })
  if (prepared.kind === 'mined') {
    await context.record?.(hash)
    Settlement.verifyReceipt({
      receipt: prepared.receipt,
      request,
      challenge,
      payer: prepared.sender,
    })
    await claim()
    return hash
  }
  const { sponsorship } = prepared
  // The payment record names the transaction before it is sent: after a crash, a retry
  // and reconciliation (`lookup`) find it on chain by this hash.
  await context.record?.(hash).catch((error: unknown) => {
    sponsorship?.release()
    throw error
  })
  // Unbound, a transaction could pay several challenges: it is claimed before it is sent.
  // Bound, it pays this challenge or none, and is claimed once settled (a retry of this
  // challenge after a lost answer then finds it mined and completes).
  if (!prepared.bound)
    await claim().catch((error: unknown) => {
      sponsorship?.release()
      throw error
    })
  const receipt = await broadcast(chain, prepared.serialized, hash)
  if (receipt === undefined) {
    sponsorship?.release()
    throw new Settlement.PaymentNotSettledError(`transaction ${hash} was not confirmed on chain`)
  }
  sponsorship?.settle(receipt)
  Settlement.verifyReceipt({ receipt, request, challenge, payer: prepared.sender })
  if (prepared.bound) await claim()
  return hash
}

/**
 * Broadcasts and waits for the receipt. When the send fails (timeout, dropped connection,
 * rejection), the node may still have mined it: the receipt is looked up once by hash.
 */
async function broadcast(
  chain: Chain.Chain,
  serialized: Hex,
  hash: Hex,
): Promise<Chain.Receipt | undefined> {
  let receipt: Chain.Receipt | undefined
  try {
    receipt = await chain.sendRawTransactionSync(serialized)
  } catch {
    // The send's failure is not the verdict: only a receipt for this exact hash is.
    receipt = await chain.getTransactionReceipt(hash).catch(() => undefined)
  }
  return receipt !== undefined && receipt.transactionHash.toLowerCase() === hash
    ? receipt
    : undefined
}

/** The payer's calls must succeed on the pending state before they are broadcast. */
async function assertSimulated(
  chain: Chain.Chain,
  decoded: Transaction.Decoded,
  request: ChargeRequest.ChargeRequest,
): Promise<void> {
  const calls = decoded.envelope.calls.map((call) => ({
    to: call.to as string,
    data: (call.data ?? '0x') as Hex,
  }))
  const outcomes = await chain.simulateCalls({ from: decoded.sender, calls })
  if (outcomes.some((outcome) => outcome.status !== 'success'))
    throw new Settlement.PaymentRevertedError(
      `the transaction would revert: ${decoded.sender} cannot pay ${request.amount} of ${request.currency} now`,
    )
}
