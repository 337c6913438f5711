// The Tempo payer's settings are checked before any payment, with typed errors that name
// the field and never its value; paying needs the node (test/reference-tempo.test.ts pays
// for real), and a node that does not answer is an unpayable challenge, not a crash.
import { Challenge } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as Payer from './Payer.js'
import * as TempoPayer from './TempoPayer.js'

const privateKey = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6'

describe('TempoPayer.read', () => {
  it('reads rpcUrl, privateKey, mode and memo: pull, and only the memo a challenge asks for, by default', () => {
    expect(TempoPayer.read({ rpcUrl: 'http://127.0.0.1:8545', privateKey })).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      privateKey,
      mode: 'pull',
      memo: 'challenge',
    })
    expect(TempoPayer.read({ rpcUrl: 'https://rpc.example', privateKey, mode: 'push' }).mode).toBe(
      'push',
    )
  })

  it.each([
    [{ privateKey }, 'methods.tempo.rpcUrl'],
    [{ rpcUrl: 'ws://127.0.0.1:8545', privateKey }, 'methods.tempo.rpcUrl'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey: '0x1234' }, 'methods.tempo.privateKey'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, mode: 'both' }, 'methods.tempo.mode'],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, memo: 'mppx' }, 'methods.tempo.memo'],
    [
      { rpcUrl: 'http://127.0.0.1:8545', privateKey, memo: `0x${'00'.repeat(32)}` },
      'methods.tempo.memo',
    ],
    [{ rpcUrl: 'http://127.0.0.1:8545', privateKey, chainId: 1 }, 'methods.tempo'],
    [null, 'methods.tempo'],
  ])('refuses %j naming %s, with a typed error', (settings, field) => {
    expect(() => TempoPayer.read(settings)).toThrow(Payer.InvalidPayerSettingsError)
    expect(() => TempoPayer.read(settings)).toThrow(new RegExp(`^${field.replace('.', '\\.')}`))
  })

  it("reads the compatibility switch memo: 'mppx-attribution' and exposes it on the payer", () => {
    const settings = {
      rpcUrl: 'http://127.0.0.1:8545',
      privateKey,
      memo: 'mppx-attribution',
    } as const
    expect(TempoPayer.read(settings).memo).toBe('mppx-attribution')
    expect(TempoPayer.from(settings).memo).toBe('mppx-attribution')
    expect(TempoPayer.from({ rpcUrl: 'http://127.0.0.1:8545', privateKey }).memo).toBe('challenge')
  })

  it('never repeats a key in its error, even a malformed one', () => {
    const almost = `${privateKey}ff`
    try {
      TempoPayer.read({ rpcUrl: 'http://127.0.0.1:8545', privateKey: almost })
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).not.toContain(almost.slice(2, 20))
      expect((error as Payer.InvalidPayerSettingsError).code).toBe('ERR_CONFORMANCE_PAYER')
    }
  })

  it('is the factory of the tempo method, so a configuration alone builds it', () => {
    const [payer] = Payer.forMethods({ tempo: { rpcUrl: 'http://127.0.0.1:8545', privateKey } })
    expect(payer !== undefined && TempoPayer.is(payer)).toBe(true)
    expect(payer).toMatchObject({ method: 'tempo', intent: 'charge', mode: 'pull' })
    expect(() => Payer.forMethods({ tempo: { rpcUrl: 'nope', privateKey } })).toThrow(
      Payer.InvalidPayerSettingsError,
    )
    expect(TempoPayer.is(Payer.test({ key: 'k' }))).toBe(false)
  })
})

describe('TempoPayer.from', () => {
  const challenge = Challenge.from(
    {
      realm: 'api.example.com',
      method: 'tempo',
      intent: 'charge',
      request: {
        amount: '1000',
        currency: '0x20c0000000000000000000000000000000000000',
        recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        methodDetails: { chainId: 31337 },
      },
    },
    { id: 'conformance-challenge' },
  )

  it('fails with UnpayableChallengeError naming the node when it does not answer', async () => {
    const payer = TempoPayer.from({ rpcUrl: 'http://127.0.0.1:1', privateKey })
    await expect(payer.pay(challenge)).rejects.toThrow(Payer.UnpayableChallengeError)
    await expect(payer.pay(challenge)).rejects.toThrow('http://127.0.0.1:1 does not answer')
    await expect(payer.forge(challenge)).rejects.toThrow(Payer.UnpayableChallengeError)
  })
})
