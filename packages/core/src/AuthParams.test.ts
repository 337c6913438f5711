import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as AuthParams from './AuthParams.js'

const params = (entry: AuthParams.Entry | undefined) => {
  if (entry === undefined || !('params' in entry)) throw new Error('expected auth-params')
  return { ...entry.params }
}

describe('parseChallenges', () => {
  it('reads tokens and quoted-strings with escapes', () => {
    const [entry] = AuthParams.parseChallenges('Payment id="a\\"b\\\\c", realm=api, method="tempo"')
    expect(entry?.scheme).toBe('Payment')
    expect(params(entry)).toEqual({ id: 'a"b\\c', realm: 'api', method: 'tempo' })
  })

  it('reads several challenges in one field value, with other schemes mixed in', () => {
    const entries = AuthParams.parseChallenges(
      'Bearer realm="x", Payment id="1", realm="api", Basic, Payment id="2", method=tempo, Negotiate abc123==',
    )
    expect(entries.map((entry) => entry.scheme)).toEqual([
      'Bearer',
      'Payment',
      'Basic',
      'Payment',
      'Negotiate',
    ])
    expect(params(entries[1])).toEqual({ id: '1', realm: 'api' })
    expect(params(entries[2])).toEqual({})
    expect(params(entries[3])).toEqual({ id: '2', method: 'tempo' })
    expect(entries[4]).toEqual({ scheme: 'Negotiate', token68: 'abc123==' })
  })

  it('reads challenges spread across several field lines', () => {
    const entries = AuthParams.parseChallenges([
      'Payment id="1", realm="a"',
      'Payment id="2", realm="b"',
    ])
    expect(entries.map(params)).toEqual([
      { id: '1', realm: 'a' },
      { id: '2', realm: 'b' },
    ])
  })

  it('treats scheme and parameter names case-insensitively', () => {
    const [entry] = AuthParams.parseChallenges('PAYMENT ID="1", ReAlM="api"')
    expect(entry?.scheme.toLowerCase()).toBe('payment')
    expect(params(entry)).toEqual({ id: '1', realm: 'api' })
  })

  it('allows whitespace around "=" and empty list elements', () => {
    const entries = AuthParams.parseChallenges(' ,, Payment id = "1" ,  , realm=\t"api" ,')
    expect(entries.map(params)).toEqual([{ id: '1', realm: 'api' }])
  })

  it('keeps an empty quoted value, which the caller may refuse', () => {
    expect(params(AuthParams.parseChallenges('Payment id=""')[0])).toEqual({ id: '' })
  })

  it('distinguishes a token68 with padding from an auth-param', () => {
    expect(AuthParams.parseChallenges('Payment abc=')[0]).toEqual({
      scheme: 'Payment',
      token68: 'abc=',
    })
    expect(AuthParams.parseChallenges('Payment a+b/c==, Bearer x')[0]).toEqual({
      scheme: 'Payment',
      token68: 'a+b/c==',
    })
    expect(params(AuthParams.parseChallenges('Payment abc=def')[0])).toEqual({ abc: 'def' })
  })

  it('returns parameter maps without a prototype, so "__proto__" is an ordinary name', () => {
    const [entry] = AuthParams.parseChallenges('Payment __proto__="x", constructor="y"')
    if (entry === undefined || !('params' in entry)) throw new Error('expected params')
    expect(Object.getPrototypeOf(entry.params)).toBe(null)
    expect(Object.getOwnPropertyDescriptor(entry.params, '__proto__')?.value).toBe('x')
    expect(entry.params.constructor).toBe('y')
  })

  it.each([
    ['a duplicate parameter', 'Payment id="1", id="2"'],
    ['a duplicate parameter in another case', 'Payment id="1", ID="2"'],
    ['an unterminated quoted-string', 'Payment id="abc'],
    ['a trailing backslash in a quoted-string', 'Payment id="abc\\'],
    ['a parameter without a value', 'Payment id=, realm="x"'],
    ['a missing separator', 'Payment id="1" realm="x"'],
    ['a control character in a quoted-string', 'Payment id="a\r\nb"'],
    ['a NUL in a quoted-string', 'Payment id="a\0b"'],
    ['a character beyond obs-text', 'Payment id="a\u0100"'],
    ['a scheme glued to a quote', 'Payment"x"'],
    ['a list element that is not a challenge', '"quoted"'],
    ['garbage after a token68', 'Payment abc== def'],
    ['a parameter name that is not a token', 'Payment i(d)="1"'],
  ])('rejects %s with a typed error', (_, header) => {
    expect(() => AuthParams.parseChallenges(header)).toThrow(AuthParams.InvalidHeaderError)
  })

  it('maps its error to the malformed-credential problem type, without echoing the input', () => {
    try {
      AuthParams.parseChallenges('Payment secret="sk_live_abc')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AuthParams.InvalidHeaderError)
      const typed = error as AuthParams.InvalidHeaderError
      expect(typed.problem).toBe('malformed-credential')
      expect(typed.message).not.toContain('sk_live_abc')
    }
  })

  it('enforces its size limits', () => {
    const long = `Payment id="${'a'.repeat(70_000)}"`
    expect(() => AuthParams.parseChallenges(long)).toThrow(/exceeds 65536/)
    expect(() => AuthParams.parseChallenges(['Payment id="1"', 'x'.repeat(65_530)])).toThrow(
      /exceeds/,
    )
    expect(() => AuthParams.parseChallenges('Payment id="1"', { maxLength: 5 })).toThrow(
      /exceeds 5/,
    )
    const many = Array.from({ length: 65 }, (_, index) => `p${index}=1`).join(', ')
    expect(() => AuthParams.parseChallenges(`Payment ${many}`)).toThrow(/more than 64 auth-params/)
    const challenges = Array.from({ length: 65 }, () => 'Basic').join(', ')
    expect(() => AuthParams.parseChallenges(challenges)).toThrow(/more than 64 challenges/)
  })

  describe('hostile inputs of up to 64 KiB finish with a value or a typed error', () => {
    const size = 65_000
    it.each([
      ['10,000 backslashes in a quoted-string', `Payment id="${'\\'.repeat(10_000)}`],
      ['20,000 escaped backslashes', `Payment id="${'\\\\'.repeat(20_000)}"`],
      ['an unterminated quote of 64 KiB', `Payment id="${'a'.repeat(size)}`],
      ['thousands of commas', `Payment ${','.repeat(size)}`],
      ['thousands of commas between parameters', `Payment id="1"${', '.repeat(30_000)}realm="x"`],
      ['thousands of "="', `Payment ${'='.repeat(size)}`],
      ['thousands of schemes', 'a, '.repeat(20_000)],
      ['thousands of spaces', `Payment${' '.repeat(size)}id="1"`],
      ['nested quotes', '"'.repeat(size)],
      ['alternating quote and backslash', '"\\'.repeat(32_000)],
      ['a long token', `Payment ${'a'.repeat(size)}`],
      ['a token then many "=" then garbage', `Payment a${'='.repeat(size - 20)} b`],
    ])('%s', (_, header) => {
      expect(header.length).toBeLessThanOrEqual(65_536)
      try {
        const entries = AuthParams.parseChallenges(header)
        expect(Array.isArray(entries)).toBe(true)
      } catch (error) {
        expect(error).toBeInstanceOf(AuthParams.InvalidHeaderError)
      }
    })

    it('accepts 20,000 escaped backslashes as 20,000 backslashes', () => {
      const [entry] = AuthParams.parseChallenges(`Payment id="${'\\\\'.repeat(20_000)}"`)
      expect(params(entry).id).toBe('\\'.repeat(20_000))
    })
  })
})

describe('format', () => {
  it('quotes every value and escapes quotes and backslashes', () => {
    expect(
      AuthParams.format('Payment', [
        ['id', 'x'],
        ['realm', 'say "hi" \\o/'],
      ]),
    ).toBe('Payment id="x", realm="say \\"hi\\" \\\\o/"')
  })

  it('writes a bare scheme when there are no parameters', () => {
    expect(AuthParams.format('Payment', [])).toBe('Payment')
  })

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF header injection', 'x"\r\nSet-Cookie: a=b'],
    ['NUL', 'a\0b'],
    ['HTAB', 'a\tb'],
    ['DEL', 'a\x7fb'],
    ['non-ASCII', 'café'],
  ])('refuses a value with %s', (_, value) => {
    expect(() => AuthParams.format('Payment', [['description', value]])).toThrow(
      AuthParams.InvalidValueError,
    )
  })

  it('refuses names and schemes that are not tokens, and repeated names', () => {
    expect(() => AuthParams.format('Pay ment', [])).toThrow(AuthParams.InvalidValueError)
    expect(() => AuthParams.format('Payment', [['re alm', 'x']])).toThrow(
      AuthParams.InvalidValueError,
    )
    expect(() =>
      AuthParams.format('Payment', [
        ['id', 'x'],
        ['ID', 'y'],
      ]),
    ).toThrow(/given twice/)
  })

  it('round-trips any printable value through parse', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/)
    const value = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, value), {
          selector: ([key]) => key,
          minLength: 1,
          maxLength: 10,
        }),
        (pairs) => {
          const header = AuthParams.format('Payment', pairs)
          const [entry] = AuthParams.parseChallenges(header)
          expect(params(entry)).toEqual(Object.fromEntries(pairs))
        },
      ),
    )
  })

  it('round-trips lists of challenges joined as one field value', () => {
    const name = fc.constantFrom('id', 'realm', 'method', 'intent', 'request', 'x-1')
    const value = fc.string({ unit: fc.constantFrom('a', '"', '\\', ',', '=', ' ', 'Payment') })
    const challenge = fc.uniqueArray(fc.tuple(name, value), {
      selector: ([key]) => key,
      minLength: 1,
      maxLength: 6,
    })
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (list) => {
        const header = list.map((pairs) => AuthParams.format('Payment', pairs)).join(', ')
        expect(AuthParams.parseChallenges(header).map(params)).toEqual(
          list.map((pairs) => Object.fromEntries(pairs)),
        )
      }),
    )
  })
})

describe('AuthParams token68 and bare-token values', () => {
  const tcharOnly = "!#$%&'*^`|"
  const shared = 'aZ09+-._~'
  it('reads any token68 (with "/" and padding) as a token68, and any name=token as a parameter', () => {
    const token68 = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...`${shared}/`), minLength: 1, maxLength: 40 }),
        fc.constantFrom('', '=', '=='),
      )
      .map(([body, padding]) => body + padding)
    const token = fc.string({
      unit: fc.constantFrom(...`${shared}${tcharOnly}`),
      minLength: 1,
      maxLength: 20,
    })
    fc.assert(
      fc.property(token68, token, token, fc.constantFrom('', ' '), (t68, name, value, space) => {
        expect(AuthParams.parseCredentials(`Payment ${t68}`)).toEqual([
          { scheme: 'Payment', token68: t68 },
        ])
        const [entry] = AuthParams.parseChallenges(`Payment ${name}${space}=${space}${value}`)
        expect(params(entry)).toEqual({ [name.toLowerCase()]: value })
        // A tchar that is not a token68 character ends a token68: refused, never truncated
        // (after padding, `=` makes it a parameter instead).
        if (!t68.endsWith('='))
          expect(() => AuthParams.parseCredentials(`Payment ${t68}!x`)).toThrow(
            AuthParams.InvalidHeaderError,
          )
      }),
    )
  })
})

describe('isToken', () => {
  it('accepts tchar strings only', () => {
    expect(AuthParams.isToken("!#$%&'*+-.^_`|~09azAZ")).toBe(true)
    for (const bad of ['', 'a b', 'a"b', 'a,b', 'a=b', 'a/b', 'é', 'a;b'])
      expect(AuthParams.isToken(bad)).toBe(false)
  })
})
