// Shared by the method's tests: a local Tempo node per test file, the chain seam over it,
// a Set-based `context.claim`, and challenges built the way a server would.
import { Challenge, Credential, Expires, type Method } from '@paywire/core'
import { TempoNode } from '@paywire/testkit'
import { Secp256k1 } from 'ox'
import { SignatureEnvelope, TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
import * as Chain from '../src/Chain.js'
import type * as ChargePayload from '../src/ChargePayload.js'
import type * as ChargeRequest from '../src/ChargeRequest.js'

export const pathUsd = TempoNode.pathUsd
/** alphaUSD: a second TIP-20 on the node, for wrong-token cases. */
export const alphaUsd = '0x20c0000000000000000000000000000000000001'

/** A running node and the chain seam over it. */
export async function startChain(): Promise<{ node: TempoNode.TempoNode; chain: Chain.Chain }> {
  const node = await TempoNode.start()
  return { node, chain: Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId }) }
}

/** A `context.claim` over a Set, with the set exposed for assertions. */
export function claims(now: () => number = Date.now): {
  keys: Set<string>
  context: Method.Context
} {
  const keys = new Set<string>()
  return {
    keys,
    context: {
      async claim(key) {
        if (keys.has(key)) return false
        keys.add(key)
        return true
      },
      now,
    },
  }
}

let counter = 0

/** A challenge for a request, as a server issues it (the id is not bound here). */
export function challengeFor(
  request: ChargeRequest.ChargeRequest,
  options: { expiresInSeconds?: number } = {},
): Challenge.Challenge {
  counter += 1
  return Challenge.from(
    {
      realm: 'api.example.com',
      method: 'tempo',
      intent: 'charge',
      request,
      expires: Expires.inSeconds(options.expiresInSeconds ?? 300),
    },
    { id: `challenge-${counter}-${Math.random().toString(36).slice(2)}` },
  )
}

/** A credential answering `challenge`. */
export function credentialFor(
  challenge: Challenge.Challenge,
  answer: { payload: ChargePayload.ChargePayload; source?: string | undefined },
): Credential.Credential<ChargePayload.ChargePayload> {
  return Credential.from({
    challenge,
    payload: answer.payload,
    ...(answer.source === undefined ? {} : { source: answer.source }),
  }) as Credential.Credential<ChargePayload.ChargePayload>
}

/**
 * Re-signs a pull-mode transaction after `change` altered it: what a client that signs
 * something else than the challenge asked would send.
 */
export function tamper(
  serialized: string,
  privateKey: Hex,
  change: (envelope: TxEnvelopeTempo.TxEnvelopeTempo) => TxEnvelopeTempo.TxEnvelopeTempo,
): `0x76${string}` {
  const decoded = TxEnvelopeTempo.deserialize(serialized as TxEnvelopeTempo.Serialized)
  const { signature: _, ...unsigned } = decoded
  const envelope = change(unsigned as TxEnvelopeTempo.TxEnvelopeTempo)
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey,
  })
  return TxEnvelopeTempo.serialize(envelope, { signature: SignatureEnvelope.from(signature) })
}
