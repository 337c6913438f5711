// Scenario 8: sessions over HTTP. paywire's tempo session method behind the Node binding,
// on a local Tempo node (anvil) with paywire's escrow; one channel per connection, opened on
// chain by the payer before the load. Each paid request carries a voucher on its channel:
// - fresh: the next voucher (cumulative amount up by the price): the server reads the
//   channel from the chain, verifies the voucher's signature (secp256k1), records it and
//   charges the request;
// - re-sent: the accepted voucher again, byte for byte (it authorized the whole deposit):
//   no signature work, the request is charged from the authorized balance.
// Against: the same route unpaid; the charge route of scenario 5 (the test method, a fresh
// credential per request); and the voucher-verify floor, `Voucher.verify` alone in this
// process (the cheapest check a fresh voucher needs: after a signer's first voucher,
// verification against its cached public key) and bare public-key recovery.
import { secp256k1 } from '@noble/curves/secp256k1'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { Challenge, Credential } from '@paywire/core'
import { Voucher } from '@paywire/escrow'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { type Budget, type Measurement, measure } from '../Harness.js'
import * as Http from '../Http.js'
import * as Load from '../Load.js'
import { atLeast, atMost, type ScenarioResult } from '../Report.js'
import * as SessionChain from '../SessionChain.js'
import { timing } from './http.js'

/** Price of one request, in base units; deposits cover every voucher of a run many times. */
const price = 1n
const deposit = 10n ** 12n

/** Runs scenario 8. */
export async function run(budget: Budget, quick: boolean): Promise<ScenarioResult> {
  const time = timing(quick)
  const chain = await SessionChain.start()
  try {
    return await measureSessions(chain, time, budget, quick)
  } finally {
    chain.stop()
  }
}

async function measureSessions(
  chain: SessionChain.Chain,
  time: ReturnType<typeof timing>,
  budget: Budget,
  quick: boolean,
): Promise<ScenarioResult> {
  const { connections } = time
  // Fresh vouchers per channel: enough for one connection's share of every round at the
  // rates expected (a channel's first voucher takes it up, checked like an open).
  const perChannel = quick ? 150 : 800
  const freshChannels: Hex[] = []
  const resentChannels: Hex[] = []
  for (let i = 0; i < connections; i++) freshChannels.push(await chain.open(deposit))
  for (let i = 0; i < connections; i++) resentChannels.push(await chain.open(deposit))
  const session: Http.Session = {
    rpcUrl: chain.node.rpcUrl,
    chainId: chain.node.chainId,
    escrow: chain.escrow,
    currency: SessionChain.token,
    payeeKey: chain.payeeKey,
    price: price.toString(),
  }
  const config: Http.Server = { binding: 'node', library: 'session', session }
  const charges = Load.slices(await Http.credentials(quick ? 10_000 : 90_000), time.rounds)
  const runs: Record<'unpaid' | 'fresh' | 'resent' | 'charge', Load.Run[]> = {
    unpaid: [],
    fresh: [],
    resent: [],
    charge: [],
  }
  let exhausted = false
  const configs: Http.Server[] = [
    { binding: 'node', library: 'unpaid' },
    config,
    { binding: 'node', library: 'paywire' },
  ]
  await Load.withServers(configs, async ([unpaidServer, sessionServer, chargeServer]) => {
    const port = (server: Load.Server | undefined) => (server as Load.Server).port
    // The multi-use challenge the server issues for the route, answered by every voucher.
    const challenge = await issuedChallenge(port(sessionServer))
    const voucher = (channelId: Hex, cumulativeAmount: bigint) =>
      Credential.toAuthorization(
        Credential.from({
          challenge,
          payload: {
            action: 'voucher',
            channelId,
            cumulativeAmount: cumulativeAmount.toString(),
            signature: chain.sign(channelId, cumulativeAmount),
          },
        }),
      )
    // Fresh vouchers, per channel and in order across the rounds (one server throughout).
    const fresh = freshChannels.map((channelId) =>
      Array.from({ length: perChannel }, (_, k) => voucher(channelId, price * BigInt(k + 1))),
    )
    const resent = resentChannels.map((channelId) => voucher(channelId, deposit))
    const sent = fresh.map(() => 0)
    /**
     * One channel per connection; each channel's vouchers go out in order. autocannon opens
     * new connections after the warm-up, so the place in each channel's sequence is kept per
     * channel, across connections.
     */
    const freshPayer = () => {
      let channels = 0
      return (connection: Record<string, unknown>) => {
        connection.channel ??= channels++ % connections
        const channel = connection.channel as number
        const pool = fresh[channel] as string[]
        const index = sent[channel] as number
        if (index >= pool.length) exhausted = true
        sent[channel] = index + 1
        return pool[Math.min(index, pool.length - 1)] as string
      }
    }
    const resentPayer = () => {
      let channels = 0
      return (connection: Record<string, unknown>) => {
        connection.channel ??= channels++ % connections
        return resent[connection.channel as number] as string
      }
    }
    for (let round = 0; round < time.rounds; round++) {
      runs.unpaid.push(await Load.drive({ ...time, port: port(unpaidServer) }))
      runs.fresh.push(
        await Load.drive({ ...time, port: port(sessionServer), authorization: freshPayer() }),
      )
      runs.resent.push(
        await Load.drive({ ...time, port: port(sessionServer), authorization: resentPayer() }),
      )
      runs.charge.push(
        await Load.drive({
          ...time,
          port: port(chargeServer),
          authorization: Load.spender(charges[round] as string[]).next,
        }),
      )
    }
  })
  const floors = await verifyFloors(chain, freshChannels[0] as Hex, budget)
  const [unpaid, freshRun, resentRun, charge] = [
    Load.total(runs.unpaid),
    Load.total(runs.fresh),
    Load.total(runs.resent),
    Load.total(runs.charge),
  ]
  const [verify, recovery] = floors
  const notes = [
    ...Load.faults('unpaid', unpaid),
    ...Load.faults('fresh vouchers', freshRun),
    ...Load.faults('re-sent vouchers', resentRun),
    ...Load.faults('charge', charge),
    `${connections} connections (one channel each), ${time.rounds} x ${time.duration} s per side after ${time.warmup} s of warm-up, the three servers started once and driven in turn; the server reads the channel from the local node for every voucher (an RPC call, which shares the two cores with the server and the load generator)`,
    'the floors run in this process with the cores otherwise idle, the HTTP runs with the load generator and the node on the same two cores: the floor ratio overstates the server work per voucher',
  ]
  if (exhausted)
    notes.push(`a connection spent its ${perChannel} fresh vouchers: later ones were re-sent`)
  return {
    scenario: 8,
    title: 'Sessions over HTTP: a voucher per request on an open channel (local Tempo node)',
    skipped: [],
    rows: [
      {
        scenario: 8,
        case: 'session request, Node binding (paywall middleware)',
        unit: 'req/s',
        measurements: [
          Load.measurement('floor', 'GET /paid, unpaid (same handler)', unpaid),
          Load.measurement('paywire', 'fresh voucher per request', freshRun),
          Load.measurement('paywire', 're-sent voucher (no signature check)', resentRun),
          Load.measurement('paywire', 'charge: test-method credential per request', charge),
          { ...verify, label: verify.name },
          { ...recovery, label: recovery.name },
        ],
        ratios: [
          atMost(
            'Voucher.verify ops/s / fresh-voucher req/s (slowdown against the floor)',
            verify.opsPerSecond / freshRun.served,
            1.3,
          ),
          atLeast('re-sent voucher / charge req/s', resentRun.served / charge.served, 1),
          {
            name: 'fresh voucher / unpaid req/s (informative)',
            value: freshRun.served / unpaid.served,
          },
          {
            name: 're-sent voucher / unpaid req/s (informative)',
            value: resentRun.served / unpaid.served,
          },
        ],
        notes,
      },
    ],
  }
}

/** The session challenge the server answers an unpaid request with. */
async function issuedChallenge(port: number): Promise<Challenge.Challenge> {
  const response = await fetch(`http://127.0.0.1:${port}/paid`)
  const header = response.headers.get('www-authenticate')
  if (response.status !== 402 || header === null)
    throw new Error(`the session server answered ${response.status} without a challenge`)
  const found = Challenge.deserializeList(header).find((entry) => entry.intent === 'session')
  if (found === undefined) throw new Error('the session server offered no session challenge')
  return found
}

/** `Voucher.verify` and bare recovery on the channel's vouchers, in this process. */
async function verifyFloors(
  chain: SessionChain.Chain,
  channelId: Hex,
  budget: Budget,
): Promise<[Measurement, Measurement]> {
  const payer = privateKeyToAccount(chain.payerKey).address
  const signed = Array.from({ length: 256 }, (_, k) => {
    const cumulativeAmount = price * BigInt(k + 1)
    const signature = chain.sign(channelId, cumulativeAmount)
    const digest = Voucher.digest({
      chainId: chain.node.chainId,
      escrow: chain.escrow,
      channelId,
      cumulativeAmount,
    })
    const bytes = hexToBytes(signature.slice(2))
    return {
      cumulativeAmount,
      signature,
      digest: hexToBytes(digest.slice(2)),
      recoverable: secp256k1.Signature.fromCompact(bytes.subarray(0, 64)).addRecoveryBit(
        (bytes[64] as number) - 27,
      ),
    }
  })
  let v = 0
  let r = 0
  const expected = payer.slice(2).toLowerCase()
  return (await measure(
    [
      {
        name: 'floor: Voucher.verify alone (cached signer key)',
        side: 'floor',
        fn: () => {
          const voucher = signed[v++ % signed.length] as (typeof signed)[number]
          return Voucher.verify({
            chainId: chain.node.chainId,
            escrow: chain.escrow,
            channelId,
            cumulativeAmount: voucher.cumulativeAmount,
            signature: voucher.signature,
            signer: payer,
          })
        },
      },
      {
        name: 'floor: bare public-key recovery + address',
        side: 'floor',
        fn: () => {
          const voucher = signed[r++ % signed.length] as (typeof signed)[number]
          const key = voucher.recoverable.recoverPublicKey(voucher.digest)
          const address = bytesToHex(keccak_256(key.toRawBytes(false).subarray(1)).subarray(12))
          if (address !== expected) throw new Error('recovered another signer')
        },
      },
    ],
    budget,
  )) as [Measurement, Measurement]
}
