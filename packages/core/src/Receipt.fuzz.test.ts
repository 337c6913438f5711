import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Base64Url from './Base64Url.js'
import * as Expires from './Expires.js'
import * as Json from './Json.js'
import * as Receipt from './Receipt.js'

/** Values of every JSON type and then some (undefined, functions are not wire values but may be given). */
const anything = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('tempo', 'stripe', 'Tempo', 'te mpo', '', '0xabc'),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 2 }),
)
const timestamp = fc.oneof(
  { arbitrary: fc.constant('2025-01-15T12:00:00Z'), weight: 3 },
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map(Expires.format),
  fc.constantFrom('2025-01-15T12:00:00Z', '2025-01-15T12:00:00.5+01:00', '2025-02-30T00:00:00Z'),
  fc.string({ maxLength: 25 }),
  fc.integer({ min: 0, max: 4_102_444_800_000 }),
)
/** Member names a receipt may carry, the schema's own among them, and rarities. */
const memberName = fc.oneof(
  fc.constantFrom('status', 'method', 'reference', 'timestamp', 'externalId', 'units'),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 8 }),
)

describe('Receipt.from', () => {
  it('returns exactly what the schema returns, or refuses what it refuses', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            method: fc.oneof({ arbitrary: fc.stringMatching(/^[a-z]{1,8}$/), weight: 4 }, anything),
            reference: fc.oneof({ arbitrary: fc.string({ minLength: 1 }), weight: 4 }, anything),
            timestamp,
            status: fc.oneof({ arbitrary: fc.constant('success'), weight: 4 }, anything),
          },
          { requiredKeys: [] },
        ),
        fc.array(fc.tuple(memberName, anything), { maxLength: 5 }),
        (known, extras) => {
          const parameters: Record<string, unknown> = {}
          for (const [name, value] of extras)
            Object.defineProperty(parameters, name, {
              value,
              enumerable: true,
              writable: true,
              configurable: true,
            })
          Object.assign(parameters, known)
          // What `from` hands the schema (its own construction of the value).
          const { timestamp: stamp, ...rest } = parameters
          let expected: ReturnType<typeof Receipt.schema.safeParse> | undefined
          let unstampable = false
          try {
            const value = {
              ...rest,
              status: 'success',
              timestamp:
                typeof stamp === 'string'
                  ? stamp
                  : Expires.format((stamp as number | Date | undefined) ?? Date.now()),
            }
            if (rest.status === undefined || rest.status === 'success')
              expected = Receipt.schema.safeParse(value)
          } catch {
            unstampable = true
          }
          let actual: Receipt.Receipt | Error
          try {
            actual = Receipt.from(parameters as Receipt.from.Parameters)
          } catch (error) {
            actual = error as Error
          }
          if (unstampable) {
            expect(actual).toBeInstanceOf(Error)
            return
          }
          if (expected === undefined || !expected.success) {
            expect(actual).toBeInstanceOf(Receipt.InvalidReceiptError)
            return
          }
          if (stamp === undefined) return // stamped with the time of each call
          expect(actual).toStrictEqual(expected.data)
          expect(Object.keys(actual)).toEqual(Object.keys(expected.data))
          expect(Object.getPrototypeOf(actual)).toBe(Object.getPrototypeOf(expected.data))
        },
      ),
    )
  })
})

/** Strings of every kind RFC 8785 writes differently: plain, escaped, non-ASCII, lone surrogates. */
const text = fc.oneof(
  { arbitrary: fc.constantFrom('tempo', 'success', '2025-01-15T12:00:00Z', '0xabc'), weight: 6 },
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(
    'tempo',
    'success',
    '2025-01-15T12:00:00Z',
    'a"b',
    'a\\b',
    '\u007f',
    '\ud800',
    '',
  ),
)

describe('Receipt.serialize', () => {
  it('writes the RFC 8785 text Json.canonicalize writes, or refuses what it refuses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          {
            arbitrary: fc.record({ method: text, reference: text, status: text, timestamp: text }),
            weight: 3,
          },
          fc.record(
            { method: text, reference: text, status: text, timestamp: text },
            { requiredKeys: [] },
          ),
        ),
        fc.array(fc.tuple(memberName, anything), { maxLength: 2 }),
        fc.constantFrom('plain', 'null-prototype', 'hidden-member', 'class'),
        (base, extras, shape) => {
          const receipt: Record<string, unknown> =
            shape === 'null-prototype'
              ? Object.create(null)
              : shape === 'class'
                ? new (class {})()
                : {}
          Object.assign(receipt, base)
          if (extras.length % 2 === 1)
            for (const [name, value] of extras)
              Object.defineProperty(receipt, name, { value, enumerable: true, configurable: true })
          if (shape === 'hidden-member')
            Object.defineProperty(receipt, 'method', { value: 'hidden', enumerable: false })
          const outcome = (write: () => string) => {
            try {
              return write()
            } catch (error) {
              return error instanceof Json.InvalidJsonError ? 'refused' : error
            }
          }
          expect(outcome(() => Receipt.serialize(receipt as Receipt.Receipt))).toEqual(
            outcome(() => Base64Url.encode(Json.canonicalize(receipt))),
          )
        },
      ),
    )
  })
})
