import { describe, expect, it } from 'vitest'
import * as Json from './Json.js'

// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical serializations.
const appendixB: Array<[string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
]

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${hex}`))
  return view.getFloat64(0)
}

describe('Json.canonicalize (RFC 8785)', () => {
  it('serializes the RFC 8785 §3.2.2 example exactly {core.challenge.request.jcs}', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    )
    expect(Json.canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  it('orders keys by UTF-16 code units as in RFC 8785 §3.2.3', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }
    expect(Json.canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
  })

  it.each(appendixB)(
    'serializes the IEEE-754 value 0x%s as %s (RFC 8785 Appendix B)',
    (bits, expected) => {
      expect(Json.canonicalize(fromBits(bits))).toBe(expected)
      expect(Json.canonicalize([fromBits(bits)])).toBe(`[${expected}]`)
    },
  )

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 1n],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['an undefined member', { a: undefined }],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
    ['an array hole', [1, , 2]],
    ['a lone surrogate', '\ud800'],
  ])('refuses %s with a typed error', (_, value) => {
    expect(() => Json.canonicalize(value)).toThrow(Json.InvalidJsonError)
  })

  it('refuses a cycle but accepts a shared acyclic value', () => {
    const shared = { a: '1' }
    expect(Json.canonicalize({ x: shared, y: shared })).toBe('{"x":{"a":"1"},"y":{"a":"1"}}')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => Json.canonicalize(cyclic)).toThrow(/cycle/)
  })

  it('writes values nested deeper than the recursive writer exactly like shallow ones', () => {
    // The RFC 8785 §3.2.2 example, wrapped in 300 levels of arrays and objects (past the
    // recursive writer's limit, so the iterative writer runs), must keep its canonical text.
    const example = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    )
    const shallow = Json.canonicalize(example)
    let deep: unknown = example
    let expected = shallow
    for (let i = 0; i < 300; i++) {
      if (i % 2 === 0) {
        deep = { z: -0, '\u20ac': deep, a: [1e21, 'é'] }
        expected = `{"a":[1e+21,"é"],"z":0,"€":${expected}}`
      } else {
        deep = [deep, null]
        expected = `[${expected},null]`
      }
    }
    expect(Json.canonicalize(deep)).toBe(expected)
    expect(JSON.parse(Json.canonicalize(deep))).toEqual(JSON.parse(expected))
  })

  it('canonicalizes 100 000 levels of nesting without exhausting the stack', () => {
    let deep: unknown = 'x'
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep }
    const text = Json.canonicalize(deep)
    expect(text.length).toBe(3 + 100_000 + 50_000 * 6)
    expect(text.startsWith('{"k":[{"k":[')).toBe(true)
  })

  it('refuses a bad value deep in the nesting with a typed error', () => {
    let deep: unknown = { bad: Number.NaN }
    for (let i = 0; i < 300; i++) deep = [deep]
    expect(() => Json.canonicalize(deep)).toThrow(Json.InvalidJsonError)
  })

  it('is independent of insertion order', () => {
    expect(Json.canonicalize({ b: 1, a: { d: 2, c: 3 } })).toBe(
      Json.canonicalize({ a: { c: 3, d: 2 }, b: 1 }),
    )
  })
})

describe('Json.parse', () => {
  it('returns objects without a prototype so __proto__ is plain data', () => {
    const value = Json.parse('{"__proto__":{"polluted":"yes"},"a":{"constructor":"x"}}') as Record<
      string,
      unknown
    >
    expect(Object.getPrototypeOf(value)).toBe(null)
    expect(Object.hasOwn(value, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses nesting deeper than the limit without recursing', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    expect(() => Json.parse(deep)).toThrow(/nesting exceeds the limit of 64/)
    expect(Json.parse('[[["ok"]]]', { maxDepth: 3 })).toEqual([[['ok']]])
    expect(() => Json.parse('[[["no"]]]', { maxDepth: 2 })).toThrow(Json.InvalidJsonError)
  })

  it('ignores brackets inside strings when measuring depth', () => {
    expect(Json.parse('{"a":"[[[[\\"]]]]"}', { maxDepth: 1 })).toEqual({ a: '[[[["]]]]' })
  })

  it('refuses text above the size limit before parsing', () => {
    expect(() => Json.parse(`"${'a'.repeat(100)}"`, { maxLength: 50 })).toThrow(
      /exceeds the limit of 50/,
    )
  })

  it.each(['', '{', '{"a":1,}', "{'a':1}", 'NaN', '01', '{"a" 1}'])(
    'refuses %j as not JSON',
    (text) => {
      expect(() => Json.parse(text)).toThrow(Json.InvalidJsonError)
    },
  )

  it.each([
    ['at the top', '{"a":"1","a":"2"}'],
    ['nested', '{"x":{"amount":"1","amount":"1000"}}'],
    ['in an object inside an array', '[{"a":1},{"b":1,"b":2}]'],
    ['written with an escape', '{"a":1,"\\u0061":2}'],
    ['after a value that looks like a name', '{"a":"b","b":1,"b":2}'],
  ])(
    'refuses a member name given twice, %s (last-wins would let two readers disagree)',
    (_where, text) => {
      expect(() => Json.parse(text)).toThrow(/twice/)
    },
  )

  it.each([
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":2}]',
    '{"a":"a","b":["a","a"],"c":{"a":"b"}}',
    '{"a\\"":1,"a":2}',
  ])('accepts the same name in different objects, and names repeated as values: %s', (text) => {
    expect(() => Json.parse(text)).not.toThrow()
  })

  it('refuses a text that starts with a byte order mark', () => {
    expect(() => Json.parse('\uFEFF{"a":1}')).toThrow(Json.InvalidJsonError)
  })
})
