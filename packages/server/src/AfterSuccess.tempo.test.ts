// The after-success model with Tempo on a real local node: a pull payment checked before
// the handler and broadcast after it. The payer empties its account while the handler runs,
// so the broadcast fails: the handler ran once, and 9 more presentations of the same
// credential run it no more; the recipient received nothing, the payer lost nothing but
// what it spent elsewhere. (The check here is the static one of `Transaction.verify`;
// method-tempo's own `check`, with the simulation, replaces it when it lands.)
import { Challenge, Credential, Problem } from '@paywire/core'
import { Chain, Client, Server, Transaction } from '@paywire/method-tempo'
import { MemoryStore } from '@paywire/store-memory'
import { TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Paywire from './Paywire.js'
import { realm, secret } from './test/payer.js'

let node: TempoNode.TempoNode
let chain: Chain.Chain
beforeAll(async () => {
  node = await TempoNode.start()
  chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
})
afterAll(() => node.stop())

const url = 'https://api.example.com/paid'

/** The Tempo method with a pre-broadcast check (mode, chain, the signed transaction's terms). */
function tempoAfterSuccess(recipient: string): ReturnType<typeof Server.server> {
  const tempo = Server.server({ chain, recipient, modes: ['pull'] })
  return {
    ...tempo,
    async check({ credential, challenge, request, context }) {
      const payload = credential.payload as { type: string; signature?: string }
      if (payload.type !== 'transaction' || payload.signature === undefined)
        throw new Server.ModeRefusedError('this route takes pull payments')
      Transaction.verify(Transaction.deserialize(payload.signature), {
        request,
        expires: Date.parse(challenge.expires ?? '') / 1000,
        now: Math.floor(context.now() / 1000),
      })
    },
  }
}

async function credential(
  protect: (request: Request) => Promise<Response>,
  privateKey: Hex,
): Promise<string> {
  const first = await protect(new Request(url))
  const challenge = Challenge.deserializeList(first.headers.get('www-authenticate') ?? '')[0]
  if (challenge === undefined) throw new Error('no challenge')
  const client = Client.client({ chain, privateKey, mode: 'pull' })
  const request = client.requestSchema.parse(Challenge.decodeRequest(challenge))
  const paid = await client.createCredential({ challenge, request })
  return Credential.toAuthorization(Credential.from({ challenge, ...paid }))
}

describe('after-success with Tempo (pull): the handler runs at most once', () => {
  it('10 presentations of a credential whose broadcast fails after the handler run it once; no transfer {charge.single-use, charge.replay.reject}', async () => {
    const payer = await node.newAccount(10_000_000n)
    const recipient = (await node.newAccount(0n)).address
    const sink = (await node.newAccount(0n)).address
    const store = MemoryStore.create()
    const make = (to: string) =>
      Paywire.create({ realm, secret, methods: [tempoAfterSuccess(to)], store })
    const drain = make(sink).protect({ price: { amount: '9500000' } }, () => new Response('ok'))
    let runs = 0
    let drained = false
    const protect = make(recipient).protect(
      { price: { amount: '2500000' }, settle: 'after-success' },
      async () => {
        runs++
        // While the handler runs, the payer spends its balance elsewhere.
        if (!drained) {
          drained = true
          const spend = await credential(drain, payer.privateKey)
          const spent = await drain(new Request(url, { headers: { authorization: spend } }))
          expect(spent.status).toBe(200)
        }
        return new Response('paid content')
      },
    )
    const header = await credential(protect, payer.privateKey)
    const answers: Array<[number, string]> = []
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await protect(new Request(url, { headers: { authorization: header } }))
      const body = await response.text()
      expect(body).not.toContain('paid content')
      answers.push([response.status, Problem.parse(body).type])
    }
    expect(runs).toBe(1)
    expect(answers[0]?.[0]).toBe(402)
    expect(
      answers
        .slice(1)
        .every(([status, type]) => status === 402 && type.endsWith('invalid-challenge')),
    ).toBe(true)
    expect(await node.balanceOf(recipient as Hex)).toBe(0n)
    expect(await node.balanceOf(sink as Hex)).toBe(9_500_000n)
  })
})
