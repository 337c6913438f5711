import { describe, expect, it } from 'vitest'
import * as Challenge from './Challenge.js'
import * as Errors from './Errors.js'
import * as Method from './Method.js'
import * as Secret from './Secret.js'

describe('Errors', () => {
  it('gives each error a stable code, its problem type and an RFC 9457 body', () => {
    const error = new Method.VerificationFailedError('amount 5 is below 10', {
      cause: new Error('inner'),
    })
    expect(Errors.isPaywireError(error)).toBe(true)
    expect(error.code).toBe('ERR_VERIFICATION_FAILED')
    expect(error.name).toBe('Method.VerificationFailedError')
    expect(error.type).toBe('https://paymentauth.org/problems/verification-failed')
    expect(error.status).toBe(402)
    expect((error.cause as Error).message).toBe('inner')
    expect(error.toProblem({ challengeId: 'abc' })).toEqual({
      type: 'https://paymentauth.org/problems/verification-failed',
      title: 'Verification Failed',
      status: 402,
      detail: 'amount 5 is below 10',
      challengeId: 'abc',
    })
  })

  it('maps configuration errors to no problem type', () => {
    const error = new Secret.InvalidSecretError('short')
    expect(error.problem).toBeUndefined()
    expect(error.status).toBeUndefined()
    expect(error.toProblem()).toBeUndefined()
  })

  it('maps each method failure to its problem type', () => {
    expect(new Method.PaymentInsufficientError('x').problem).toBe('payment-insufficient')
    expect(new Method.PaymentExpiredError('x').problem).toBe('payment-expired')
    expect(new Method.MethodUnsupportedError('x').status).toBe(400)
    expect(new Challenge.UnboundChallengeError('x').problem).toBe('invalid-challenge')
  })

  it('is not a paywire error when it is a plain Error', () => {
    expect(Errors.isPaywireError(new Error('x'))).toBe(false)
  })
})
