// Scenario 4: session voucher verification. Each operation takes the next voucher of an
// open channel (cumulative amounts increasing), computes its EIP-712 digest, recovers and
// checks the signer (secp256k1), and updates the channel's record in the memory store.
// paywire: @paywire/escrow Voucher.verify (digest with @noble/hashes, recovery with
// @noble/curves on a signer's first voucher, then verification against its cached public
// key, same verdicts), then SessionChannel.reduce on the stored state (Store.update: get,
// deserialize, reduce, serialize, compare-and-swap).
// mppx: its v1 ("Tempo Stream Channel", uint128) voucher check, SessionLegacy.Voucher.verifyVoucher,
// then an atomic Store.update of a channel record keeping the highest voucher.
// Floor: bare public-key recovery on the precomputed digest with @noble/curves (synchronous,
// the fastest recovery available in JavaScript here), plus the address: what a voucher check
// costs when it recovers every voucher.

import { secp256k1 } from '@noble/curves/secp256k1'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { SessionChannel, Store } from '@paywire/core'
import { Escrow, Voucher } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import { Store as MppxStore } from 'mppx'
import { SessionLegacy } from 'mppx/tempo'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { type Budget, type Measurement, measure } from '../Harness.js'
import { atLeast, atMost, type ScenarioResult } from '../Report.js'

const chainId = 4217
const escrow = '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70' as const
const channelId = `0x${'ab'.repeat(32)}` as const
const deposit = 10n ** 15n
const step = 1000n
const payer = privateKeyToAccount(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
)

type Signed = {
  cumulativeAmount: bigint
  signature: Hex
  digest: Hex
  /** For the floor: the digest as bytes and the signature as @noble/curves reads it. */
  digestBytes: Uint8Array
  recoverable: InstanceType<typeof secp256k1.Signature>
}

/** Runs scenario 4. */
export async function run(budget: Budget, quick: boolean): Promise<ScenarioResult> {
  const vouchers = await sign(quick ? 256 : 2048)
  const openVoucher = { cumulativeAmount: 0n, signature: '0x' as Hex }
  const opened = SessionChannel.reduce(SessionChannel.initial(channelId), {
    type: 'open',
    deposit,
    voucher: openVoucher,
  }).state
  const key = `paywire:session:${channelId}`

  const paywireStore = MemoryStore.create()
  await paywireStore.put(key, persisted(opened))
  let p = 0
  const paywire = async () => {
    if (p === vouchers.length) {
      p = 0
      await paywireStore.put(key, persisted(opened))
    }
    const voucher = vouchers[p++] as Signed
    await Voucher.verify({
      chainId,
      escrow,
      channelId,
      cumulativeAmount: voucher.cumulativeAmount,
      signature: voucher.signature,
      signer: payer.address,
    })
    await Store.update(paywireStore, key, (current) => {
      const { state } = SessionChannel.reduce(SessionChannel.deserialize(current), {
        type: 'voucher',
        voucher: { cumulativeAmount: voucher.cumulativeAmount, signature: voucher.signature },
      })
      return persisted(state)
    })
  }

  type MppxRecord = {
    channelId: string
    deposit: string
    highestVoucherAmount: string
    highestVoucher: unknown
  }
  const mppxStore = MppxStore.memory() as MppxStore.AtomicStore<Record<string, MppxRecord>>
  const mppxOpened: MppxRecord = {
    channelId,
    deposit: deposit.toString(),
    highestVoucherAmount: '0',
    highestVoucher: null,
  }
  await mppxStore.put(key, mppxOpened)
  let m = 0
  const mppx = async () => {
    if (m === vouchers.length) {
      m = 0
      await mppxStore.put(key, mppxOpened)
    }
    const voucher = vouchers[m++] as Signed
    const valid = await SessionLegacy.Session.Voucher.verifyVoucher(
      escrow,
      chainId,
      { channelId, cumulativeAmount: voucher.cumulativeAmount, signature: voucher.signature },
      payer.address,
    )
    if (!valid) throw new Error('mppx refused a valid voucher')
    await mppxStore.update(key, (current) => {
      if (current === null) throw new Error('channel not found')
      if (voucher.cumulativeAmount <= BigInt(current.highestVoucherAmount))
        return { op: 'noop', result: false }
      if (voucher.cumulativeAmount > BigInt(current.deposit)) throw new Error('exceeds deposit')
      return {
        op: 'set',
        value: {
          ...current,
          highestVoucherAmount: voucher.cumulativeAmount.toString(),
          highestVoucher: {
            cumulativeAmount: voucher.cumulativeAmount.toString(),
            signature: voucher.signature,
          },
        },
        result: true,
      }
    })
  }

  const payerAddress = payer.address.slice(2).toLowerCase()
  let f = 0
  const floor = async () => {
    const voucher = vouchers[f++ % vouchers.length] as Signed
    const key = voucher.recoverable.recoverPublicKey(voucher.digestBytes)
    const recovered = bytesToHex(keccak_256(key.toRawBytes(false).subarray(1)).subarray(12))
    if (recovered !== payerAddress) throw new Error('floor recovered another signer')
  }

  const measured = (await measure(
    [
      {
        name: 'Voucher.verify + SessionChannel.reduce (Store.update)',
        side: 'paywire',
        fn: paywire,
      },
      { name: 'SessionLegacy.Voucher.verifyVoucher + Store.update', side: 'mppx', fn: mppx },
      { name: '@noble/curves recovery + address on the digest', side: 'floor', fn: floor },
    ],
    budget,
  )) as [Measurement, Measurement, Measurement]
  const [pw, mx, fl] = measured
  return {
    scenario: 4,
    title: 'Session voucher verification (EIP-712 digest + secp256k1 recovery + state update)',
    skipped: [],
    rows: [
      {
        scenario: 4,
        case: 'verify a voucher and update the channel',
        unit: 'ops/s',
        measurements: measured.map(({ name, ...rest }) => ({ label: name, ...rest })),
        ratios: [
          atLeast('paywire / mppx throughput', pw.opsPerSecond / mx.opsPerSecond, 2),
          atMost(
            'floor / paywire throughput (slowdown vs bare recovery)',
            fl.opsPerSecond / pw.opsPerSecond,
            1.3,
          ),
        ],
        notes: [
          'mppx 0.11.0 does not export its session server accounting (ChannelStore); its side here is its exported v1 voucher check plus an atomic Store.update keeping the highest voucher, as its server does.',
        ],
      },
    ],
  }
}

/** A channel state as the store keeps it (JSON; optional members absent, never undefined). */
function persisted(state: SessionChannel.State): Store.Value {
  return SessionChannel.serialize(state) as Store.Value
}

async function sign(count: number): Promise<Signed[]> {
  const signed: Signed[] = []
  for (let i = 1; i <= count; i++) {
    const cumulativeAmount = step * BigInt(i)
    const signature = await payer.signTypedData({
      domain: Escrow.domain({ chainId, verifyingContract: escrow }),
      types: Escrow.voucherTypes,
      primaryType: 'Voucher',
      message: { channelId, cumulativeAmount },
    })
    const digest = Voucher.digest({ chainId, escrow, channelId, cumulativeAmount })
    const bytes = hexToBytes(signature.slice(2))
    signed.push({
      cumulativeAmount,
      signature,
      digest,
      digestBytes: hexToBytes(digest.slice(2)),
      recoverable: secp256k1.Signature.fromCompact(bytes.subarray(0, 64)).addRecoveryBit(
        (bytes[64] as number) - 27,
      ),
    })
  }
  return signed
}
