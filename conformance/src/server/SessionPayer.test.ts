// The session payer's settings are checked before any channel is opened, with typed errors
// that name the field and never its value, and it reads a challenge's terms strictly:
// anything but a v1 tempo/session request is unpayable. Paying needs the node
// (test/session.test.ts opens, tops up and closes channels for real).
import { Challenge } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as Payer from './Payer.js'
import * as SessionPayer from './SessionPayer.js'

const privateKey = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6'
const request = {
  amount: '10',
  currency: '0x20c0000000000000000000000000000000000000',
  recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  methodDetails: { escrowContract: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70', chainId: 31337 },
}
const challenge = (intent: string, body: Record<string, unknown> = request) =>
  Challenge.from(
    { realm: 'api.example.com', method: 'tempo', intent, request: body },
    { id: 'conformance-challenge' },
  )

describe('SessionPayer.read', () => {
  it('reads rpcUrl and privateKey, with a deposit of 100000 base units by default', () => {
    expect(SessionPayer.read({ rpcUrl: 'http://127.0.0.1:8545', privateKey })).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      privateKey,
      deposit: '100000',
    })
  })

  it.each([
    [{ privateKey }, 'session.rpcUrl'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey: '0x1234' }, 'session.privateKey'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, deposit: '0' }, 'session.deposit'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, deposit: 5 }, 'session.deposit'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, mode: 'pull' }, 'session'],
  ])('refuses %j naming %s, with a typed error that never holds the key', (settings, field) => {
    expect(() => SessionPayer.read(settings)).toThrow(Payer.InvalidPayerSettingsError)
    expect(() => SessionPayer.read(settings)).toThrow(new RegExp(`^${field.replace('.', '\\.')}`))
    try {
      SessionPayer.read(settings)
    } catch (error) {
      expect((error as Error).message).not.toContain(privateKey.slice(2))
    }
  })
})

describe('SessionPayer.from', () => {
  const payer = SessionPayer.from({ rpcUrl: 'http://127.0.0.1:1', privateKey, deposit: '500' })

  it('reads the escrow, chain, token, payee and price of a session challenge', () => {
    expect(payer.deposit).toBe(500n)
    expect(payer.terms(challenge('session'))).toEqual({
      escrow: request.methodDetails.escrowContract,
      chainId: 31337,
      currency: request.currency,
      recipient: request.recipient,
      price: 10n,
    })
  })

  it('refuses a charge challenge, or a session request without an escrow, as unpayable', async () => {
    expect(() => payer.terms(challenge('charge'))).toThrow(Payer.UnpayableChallengeError)
    const { methodDetails: _details, ...noEscrow } = request
    expect(() => payer.terms(challenge('session', noEscrow))).toThrow(/not a v1 session request/)
    await expect(payer.open(challenge('charge'))).rejects.toThrow(Payer.UnpayableChallengeError)
  })
})
