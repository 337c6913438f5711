// The attribution memo mppx 0.11 requires (spec/DEVIATIONS.md, row 6) is computed by
// @paywire/method-tempo (Binding.attribution) from its documented layout, for the suite's
// Tempo payer and paywire's client; a differential test against mppx's own encoder (not
// part of its public exports, so loaded from its file) shows the two agree, and mppx's own
// checks accept it.
import { Binding } from '@paywire/method-tempo'
import { describe, expect, it } from 'vitest'

const MppxAttribution = {
  memo: (challenge: { id: string; realm: string }) => Binding.attribution(challenge),
}

type Encoder = {
  encode(parameters: { challengeId: string; serverId: string; clientId?: string }): string
  verifyServer(memo: string, serverId: string): boolean
  verifyChallengeBinding(memo: string, challengeId: string): boolean
}
const mppx = (await import(
  new URL('../../node_modules/mppx/dist/tempo/Attribution.js', import.meta.url).href
)) as Encoder

const challenges = [
  { id: 'conformance-challenge', realm: 'api.example.com' },
  { id: 'DBlD4vcX79-3IKM2y3qZbpCchRM2zy8KUDfoNvnPDhQ', realm: 'mppx.conformance.test' },
  { id: 'x', realm: 'réalm with ünïcode' },
]

describe('Binding.attribution against mppx 0.11', () => {
  it.each(challenges)('is the memo mppx 0.11 encodes for $realm / $id', (challenge) => {
    const memo = MppxAttribution.memo(challenge)
    expect(memo).toMatch(/^0x[0-9a-f]{64}$/)
    expect(memo).toBe(mppx.encode({ challengeId: challenge.id, serverId: challenge.realm }))
    expect(mppx.verifyServer(memo, challenge.realm)).toBe(true)
    expect(mppx.verifyChallengeBinding(memo, challenge.id)).toBe(true)
  })

  it('is bound to the realm and to the challenge id', () => {
    const memo = MppxAttribution.memo({ id: 'one', realm: 'api.example.com' })
    expect(MppxAttribution.memo({ id: 'two', realm: 'api.example.com' })).not.toBe(memo)
    expect(MppxAttribution.memo({ id: 'one', realm: 'other.example.com' })).not.toBe(memo)
    expect(mppx.verifyChallengeBinding(memo, 'two')).toBe(false)
    expect(mppx.verifyServer(memo, 'other.example.com')).toBe(false)
  })
})
