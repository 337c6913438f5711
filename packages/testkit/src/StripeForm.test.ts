import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as StripeForm from './StripeForm.js'

describe('StripeForm.parse', () => {
  it('nests brackets into objects and indexed or empty brackets into arrays', () => {
    expect(
      StripeForm.parse(
        'amount=5000&metadata[challenge_id]=ch_1&payment_method_types[0]=card&payment_method_types[1]=link&expand[]=latest_charge&transfer_data[destination]=acct_1',
      ),
    ).toEqual({
      amount: '5000',
      metadata: { challenge_id: 'ch_1' },
      payment_method_types: ['card', 'link'],
      expand: ['latest_charge'],
      transfer_data: { destination: 'acct_1' },
    })
  })

  it('decodes percent-escapes, + as space, and encoded brackets', () => {
    expect(StripeForm.parse('description=AI+generation%21&metadata%5Bk%5D=v%20w')).toEqual({
      description: 'AI generation!',
      metadata: { k: 'v w' },
    })
  })

  it.each([
    ['a key used as value and container', 'a=1&a[b]=2'],
    ['an unbalanced bracket', 'a[b=1'],
    ['a bad percent-escape', 'a=%zz'],
    ['a prototype key', '__proto__[x]=1'],
    ['a nested prototype key', 'a[constructor]=1'],
  ])('refuses %s', (_, body) => {
    expect(() => StripeForm.parse(body)).toThrow(StripeForm.InvalidFormError)
  })

  it('reads back what the SDK-style encoder writes', () => {
    const word = fc.stringMatching(/^[a-z][a-z_]{0,8}$/)
    const leaf = fc.string({ maxLength: 12 })
    const value = fc.oneof(
      leaf,
      fc.array(leaf, { minLength: 1, maxLength: 3 }),
      fc.dictionary(word, leaf, { minKeys: 1, maxKeys: 3 }),
    )
    fc.assert(
      fc.property(fc.dictionary(word, value, { minKeys: 1, maxKeys: 4 }), (params) => {
        expect(StripeForm.parse(StripeForm.stringify(params))).toEqual(params)
      }),
    )
  })
})
