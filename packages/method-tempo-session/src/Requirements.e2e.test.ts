// What the session server answers over HTTP, success and failure alike, on a local Tempo
// node (one node for this file): a channel is opened, paid, topped up, refused in every
// way a credential can be refused, and closed; each answer is checked for its status, its
// Problem Details body and the presence or absence of `Payment-Receipt`.
import { createServer } from 'node:http'
import { Challenge, Credential, Receipt, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as Payer from './Payer.js'
import * as Server from './Server.js'

let fixture: Fixture
let api: { url: string; close(): Promise<void> }

beforeAll(async () => {
  fixture = await setUp()
  const method = Server.server({
    sessions: fixture.sessions(),
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    recipient: fixture.payee.account.address,
  })
  let handler: ReturnType<typeof listener> | undefined
  const server = createServer((req, res) => handler?.(req, res))
  const { port, url, close } = await FreePort.listen(server)
  const paywire = Paywire.create({
    realm: `127.0.0.1:${port}`,
    secret: Secret.generate(),
    methods: [method],
    store: MemoryStore.create(),
  })
  handler = listener(paywire, { price: { amount: '10', suggestedDeposit: '3000' } }, () =>
    Response.json({ served: true }),
  )
  api = { url, close }
}, 60_000)

afterAll(async () => {
  await api?.close()
  await fixture?.node.stop()
})

/** One answer of the server, as the checks below read it. */
type Answer = {
  status: number
  receipt: Receipt.Receipt | undefined
  contentType: string | null
  problem: Record<string, unknown> | undefined
}

async function fresh(): Promise<Challenge.Challenge> {
  const offered = await fetch(api.url)
  await offered.body?.cancel()
  return Challenge.deserializeList(
    offered.headers.get('www-authenticate') as string,
  )[0] as Challenge.Challenge
}

async function send(
  payload: Record<string, unknown>,
  method = 'GET',
  alter: (challenge: Challenge.Challenge) => Challenge.Challenge = (challenge) => challenge,
): Promise<Answer> {
  const challenge = alter(await fresh())
  const response = await fetch(api.url, {
    method,
    headers: { authorization: Credential.toAuthorization(Credential.from({ challenge, payload })) },
  })
  const header = response.headers.get(Receipt.headerName)
  const contentType = response.headers.get('content-type')
  const text = method === 'HEAD' ? '' : await response.text()
  return {
    status: response.status,
    receipt: header === null ? undefined : Receipt.deserialize(header),
    contentType,
    // A HEAD answer has no body: only its headers can be checked.
    problem: text === '' ? undefined : JSON.parse(text),
  }
}

describe('session answers over HTTP', () => {
  it('sends Payment-Receipt only with a 2xx, and Problem Details without a receipt on every refusal {tempo.session.receipt.success-only, tempo.session.receipt.errors-problem, tempo.session.errors.problem-details, tempo.session.topup.unknown-challenge}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
    })
    const opened = await payer.open({ payee: fixture.payee.account.address, deposit: 3_000n })
    const { channelId } = opened
    const voucher = async (amount: bigint) => {
      const signed = await payer.voucher(channelId, amount)
      return {
        action: 'voucher',
        channelId,
        cumulativeAmount: amount.toString(),
        signature: signed.signature,
      }
    }
    const stranger = await fixture.sign(channelId, 50n, fixture.stranger)
    // Signed once the open is mined: its nonce follows the open's.
    const topUp = async () => {
      const signed = await payer.topUp(channelId, 500n)
      return {
        action: 'topUp',
        type: 'transaction',
        channelId,
        transaction: signed.transaction,
        additionalDeposit: '500',
      }
    }

    const answers: [string, Answer][] = [
      [
        'open',
        await send({
          action: 'open',
          type: 'transaction',
          channelId,
          transaction: opened.transaction,
          cumulativeAmount: '10',
          signature: (await payer.voucher(channelId, 10n)).signature,
        }),
      ],
      ['voucher', await send(await voucher(20n))],
      ['voucher on HEAD', await send(await voucher(40n), 'HEAD')],
      ['top-up', await send(await topUp(), 'HEAD')],
      ['malformed', await send({ action: 'voucher', channelId, cumulativeAmount: '50' })],
      [
        'malformed top-up',
        await send({ action: 'topUp', channelId, additionalDeposit: '5' }, 'POST'),
      ],
      ['malformed close', await send({ action: 'close', channelId }, 'POST')],
      [
        'top-up on an unknown challenge',
        await send(await topUp(), 'POST', (challenge) => ({
          ...challenge,
          id: `${challenge.id.slice(0, -4)}AAAA`,
        })),
      ],
      [
        'signer mismatch',
        await send({
          ...(await voucher(40n)),
          cumulativeAmount: '50',
          signature: stranger.signature,
        }),
      ],
      [
        'invalid signature',
        await send({
          ...(await voucher(40n)),
          cumulativeAmount: '50',
          signature: `0x${'11'.repeat(65)}`,
        }),
      ],
      [
        'unknown channel',
        await send({ ...(await voucher(40n)), channelId: `0x${'cd'.repeat(32)}` }),
      ],
      // 40 accepted, 20 spent (open, voucher): an equal voucher is served twice from the
      // balance, then refused with requiredTopUp.
      ['served from the balance', await send(await voucher(40n))],
      ['served from the balance', await send(await voucher(40n))],
      ['insufficient balance', await send(await voucher(40n))],
      [
        'close',
        await send({ ...(await voucher(40n)), action: 'close', cumulativeAmount: '40' }, 'GET'),
      ],
      ['after close', await send(await voucher(60n))],
      ['after close on HEAD', await send(await voucher(60n), 'HEAD')],
    ]

    const statuses = answers.map(([name, answer]) => [name, answer.status])
    expect(statuses).toEqual([
      ['open', 200],
      ['voucher', 200],
      ['voucher on HEAD', 200],
      ['top-up', 200],
      ['malformed', 402],
      ['malformed top-up', 400],
      ['malformed close', 400],
      ['top-up on an unknown challenge', 402],
      ['signer mismatch', 402],
      ['invalid signature', 402],
      ['unknown channel', 410],
      ['served from the balance', 200],
      ['served from the balance', 200],
      ['insufficient balance', 402],
      ['close', 200],
      ['after close', 410],
      ['after close on HEAD', 410],
    ])
    for (const [name, answer] of answers) {
      if (answer.status < 300) {
        expect(answer.receipt, name).toMatchObject({ reference: channelId, intent: 'session' })
        continue
      }
      expect(answer.receipt, name).toBeUndefined()
      expect(answer.contentType, name).toMatch(/^application\/problem\+json/)
      if (answer.problem !== undefined)
        expect(answer.problem, name).toMatchObject({
          type: expect.stringMatching(/^https:\/\/paymentauth\.org\/problems\//),
          title: expect.any(String),
          status: answer.status,
        })
    }
    const types = Object.fromEntries(
      answers
        .filter(([, answer]) => answer.problem !== undefined)
        .map(([name, answer]) => [name, String(answer.problem?.type).split('/problems/')[1]]),
    )
    expect(types).toEqual({
      // A payload that fails the method's schema: draft-httpauth-payment-01's invalid-payload.
      malformed: 'invalid-payload',
      'malformed top-up': 'malformed-credential',
      'malformed close': 'malformed-credential',
      'top-up on an unknown challenge': 'session/challenge-not-found',
      'signer mismatch': 'session/signer-mismatch',
      'invalid signature': 'session/invalid-signature',
      'unknown channel': 'session/channel-not-found',
      'insufficient balance': 'session/insufficient-balance',
      'after close': 'session/channel-finalized',
    })
    const closed = answers.find(([name]) => name === 'close')?.[1].receipt
    expect(closed?.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(closed).toMatchObject({ spent: '40', acceptedCumulative: '40' })
  }, 120_000)

  it('answers a channel that submits vouchers too fast with 429 and the retry delay, serves the accepted voucher re-presented, and maps the challenge to what it paid {tempo.session.dos.rate-limit, tempo.session.attribution.mapping}', async () => {
    const sessions = fixture.sessions(MemoryStore.create(), {
      voucherRate: { perSecond: 0.5, burst: 2 },
    })
    const method = Server.server({
      sessions,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      recipient: fixture.payee.account.address,
    })
    const paywire = Paywire.create({
      realm: 'limited.example',
      secret: Secret.generate(),
      methods: [method],
      store: MemoryStore.create(),
    })
    const handler = listener(paywire, { price: { amount: '10' } }, () =>
      Response.json({ served: true }),
    )
    const limited = await FreePort.listen(createServer((req, res) => handler(req, res)))
    try {
      const account = await fixture.node.newAccount()
      await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
      const payer = Payer.create({
        privateKey: account.privateKey,
        client: fixture.node.client,
        chainId: fixture.node.chainId,
        escrow: fixture.escrow,
        currency: token,
        store: MemoryStore.create(),
      })
      const opened = await payer.open({ payee: fixture.payee.account.address, deposit: 3_000n })
      const { channelId } = opened
      const offered = await fetch(limited.url)
      await offered.body?.cancel()
      const challenge = Challenge.deserializeList(
        offered.headers.get('www-authenticate') as string,
      )[0] as Challenge.Challenge
      // Every credential answers the same challenge: the one the records are kept under.
      const pay = async (payload: Record<string, unknown>) => {
        const response = await fetch(limited.url, {
          headers: {
            authorization: Credential.toAuthorization(Credential.from({ challenge, payload })),
          },
        })
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: (await response.json()) as Record<string, unknown>,
        }
      }
      const voucher = async (amount: bigint) => ({
        action: 'voucher',
        channelId,
        cumulativeAmount: amount.toString(),
        signature: (await payer.voucher(channelId, amount)).signature,
      })
      const open = await pay({
        action: 'open',
        type: 'transaction',
        channelId,
        transaction: opened.transaction,
        cumulativeAmount: '10',
        signature: (await payer.voucher(channelId, 10n)).signature,
      })
      expect(open.status).toBe(200)
      expect((await pay(await voucher(30n))).status).toBe(200)
      expect((await pay(await voucher(50n))).status).toBe(200)
      // The third submission within the burst of two is refused, and nothing is recorded.
      const refused = await pay(await voucher(70n))
      expect(refused).toEqual({
        status: 429,
        retryAfter: '2',
        body: expect.objectContaining({
          type: 'about:blank',
          title: 'Too Many Requests',
          status: 429,
          retryAfter: 2,
        }),
      })
      expect((await sessions.read(channelId)).acceptedCumulative).toBe(50n)
      // The accepted voucher re-presented is served from the balance (50 accepted, 30 spent).
      expect((await pay(await voucher(50n))).status).toBe(200)
      expect(await sessions.attribution(challenge.id)).toMatchObject({
        challengeId: challenge.id,
        channels: [{ channelId, vouchers: 3, highestVoucher: 50n, units: 4n, amount: 40n }],
      })
    } finally {
      await limited.close()
    }
  }, 120_000)
})
