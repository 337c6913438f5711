import { encodePacked, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import * as Address from './Address.js'
import * as Binding from './Binding.js'
import * as ChallengeHash from './ChallengeHash.js'

describe('ChallengeHash', () => {
  it('is keccak256 of the id followed by the realm (abi.encodePacked of two strings)', () => {
    const challenge = { id: 'aB3cDeF4gHiJkLmN', realm: 'api.example.com' }
    expect(ChallengeHash.from(challenge)).toBe(
      keccak256(encodePacked(['string', 'string'], [challenge.id, challenge.realm])),
    )
    expect(ChallengeHash.from({ id: 'ab', realm: 'c' })).toBe(
      ChallengeHash.from({ id: 'a', realm: 'bc' }),
    )
  })
})

describe('Binding', () => {
  const recipient = '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00'
  const challengeHash = ChallengeHash.from({ id: 'x', realm: 'api.example.com' })

  it('appends the challenge hash to transfer calldata and reads it back', () => {
    const data = Binding.encode({ recipient, amount: 1000n, challengeHash })
    expect(data.startsWith('0xa9059cbb')).toBe(true)
    expect((data.length - 2) / 2).toBe(100)
    expect(Binding.decode(data)).toEqual({
      recipient: Address.checksum(recipient),
      amount: 1000n,
      challengeHash,
    })
  })

  it('reads an unbound transfer as unbound, and anything else as no transfer', () => {
    const data = Binding.encode({ recipient, amount: 1000n, challengeHash })
    expect(Binding.decode(data.slice(0, 2 + 136) as `0x${string}`)?.challengeHash).toBeUndefined()
    expect(Binding.decode(`${data}00` as `0x${string}`)).toBeUndefined()
    expect(Binding.decode(`0x095ea7b3${data.slice(10)}` as `0x${string}`)).toBeUndefined()
    const dirtyAddress = `0xa9059cbb${'ff'.repeat(12)}${data.slice(34)}` as `0x${string}`
    expect(Binding.decode(dirtyAddress)).toBeUndefined()
  })
})
