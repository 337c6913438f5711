// The after-success model with Tempo on a real local node: a pull payment checked before
// the handler and broadcast after it. The payer empties its account while the handler runs,
// so the broadcast fails: the handler ran once, and 9 more presentations of the same
// credential run it no more; the recipient received nothing, the payer lost nothing but
// what it spent elsewhere. The method's own `check` simulates before the handler; after it,
// `verify` simulates again and refuses before broadcasting.
import { Challenge, Credential, Problem } from '@paywire/core'
import { Chain, Client, Server } from '@paywire/method-tempo'
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

/**
 * The Tempo method as it ships: its `check` runs every check of `verify` that moves no money
 * (the transaction's terms, its binding to the challenge, a simulation on the pending state)
 * before the handler; `verify` runs them again, then broadcasts.
 */
function tempoAfterSuccess(recipient: string): ReturnType<typeof Server.server> {
  return Server.server({ chain, recipient, modes: ['pull'] })
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

describe('after-success with Tempo: push is offered only where the route opts in', () => {
  const offered = async (route: Paywire.Route) => {
    const recipient = (await node.newAccount(0n)).address
    const paywire = Paywire.create({
      realm,
      secret,
      methods: [Server.server({ chain, recipient })],
      store: MemoryStore.create(),
    })
    let runs = 0
    const protect = paywire.protect(route, () => {
      runs++
      return new Response('ok')
    })
    const answer = await protect(new Request(url))
    expect(answer.status).toBe(402)
    expect(runs).toBe(0)
    const challenge = Challenge.deserializeList(answer.headers.get('www-authenticate') ?? '')[0]
    const request = Challenge.decodeRequest(challenge as Challenge.Challenge) as {
      methodDetails: { supportedModes?: string[] }
    }
    return request.methodDetails.supportedModes ?? ['pull', 'push']
  }

  it('a before-handler route offers both modes; an after-success route pull only, unless its price names push {tempo.charge.modes.include-explicitly}', async () => {
    expect(await offered({ price: { amount: '2500' } })).toEqual(['pull', 'push'])
    expect(await offered({ price: { amount: '2500' }, settle: 'after-success' })).toEqual(['pull'])
    expect(
      await offered({
        price: { amount: '2500', modes: ['pull', 'push'] },
        settle: 'after-success',
      }),
    ).toEqual(['pull', 'push'])
  })
})
