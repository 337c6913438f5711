import { describe, expect, it } from 'vitest'
import * as Problem from './Problem.js'

describe('Problem', () => {
  it.each([
    ['payment-required', 402],
    ['payment-insufficient', 402],
    ['payment-expired', 402],
    ['verification-failed', 402],
    ['method-unsupported', 400],
    ['malformed-credential', 402],
    ['invalid-challenge', 402],
  ] as const)(
    'defines the core problem type %s with status %i {core.problem.types}',
    (slug, status) => {
      const problem = Problem.from(slug, { detail: 'because' })
      expect(problem.type).toBe(`https://paymentauth.org/problems/${slug}`)
      expect(problem.status).toBe(status)
      expect(problem.detail).toBe('because')
      expect(Problem.lookup(problem.type)).toEqual({ slug, title: problem.title, status })
    },
  )

  it.each([
    ['bad-request', 400],
    ['invalid-payload', 402],
    ['internal-payment-error', 500],
    ['payment-action-required', 402],
  ] as const)(
    'defines the draft -01 problem type %s with status %i {core.problem.types-01}',
    (slug, status) => {
      const problem = Problem.from(slug)
      expect(problem.type).toBe(`https://paymentauth.org/problems/${slug}`)
      expect(problem.status).toBe(status)
      expect(Problem.lookup(problem.type)).toEqual({ slug, title: problem.title, status })
    },
  )

  it('defines the session problem types with the statuses of the session draft', () => {
    expect(Problem.from('session/channel-not-found').status).toBe(410)
    expect(Problem.from('session/channel-finalized').status).toBe(410)
    expect(Problem.from('session/insufficient-balance').status).toBe(402)
    expect(Problem.slugs.filter((slug) => slug.startsWith('session/'))).toHaveLength(8)
  })

  it('keeps extension members', () => {
    expect(Problem.from('payment-required', { challengeId: 'abc' }).challengeId).toBe('abc')
  })

  it('parses a body and tolerates unknown members', () => {
    const problem = Problem.parse(
      '{"type":"https://paymentauth.org/problems/verification-failed","title":"Verification Failed","status":402,"channelId":"0x1"}',
    )
    expect(problem.channelId).toBe('0x1')
    expect(Problem.parse({ type: 'about:blank', title: 'x', status: 500 }).status).toBe(500)
  })

  it.each([
    '',
    'null',
    '[]',
    '{"type":1}',
    '{"type":"x","title":"y"}',
    '{"type":"x","title":"y","status":99}',
  ])('refuses %j', (body) => {
    expect(() => Problem.parse(body)).toThrow(Problem.InvalidProblemError)
  })

  it('does not recognize URIs outside the registry', () => {
    expect(Problem.lookup('https://paymentauth.org/problems/unknown')).toBeUndefined()
    expect(Problem.lookup('https://example.com/problems/invalid-challenge')).toBeUndefined()
    expect(Problem.lookup('https://paymentauth.org/problems/constructor')).toBeUndefined()
  })
})
