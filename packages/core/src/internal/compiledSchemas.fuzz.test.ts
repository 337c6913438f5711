import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Challenge from '../Challenge.js'
import * as Credential from '../Credential.js'
import * as Json from '../Json.js'
import * as CompiledSchemas from './compiledSchemas.js'

/** Values of each parameter: valid ones often, and every way to miss. */
const parameter = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: valid, weight: 24 },
    fc.constantFrom('', 'e30=', 'e3', 'Zh', 'a b', 'TEMPO', 'charge!', '2025-02-30T00:00:00Z'),
    fc.string({ maxLength: 8 }),
    fc.constantFrom(undefined, null, 1, true, [], {}),
  )
const parameters = {
  id: parameter(fc.constantFrom('abc', 'x')),
  realm: parameter(fc.constantFrom('api.example.com', '')),
  method: parameter(fc.stringMatching(/^[a-z]{1,6}$/)),
  intent: parameter(fc.stringMatching(/^[A-Za-z0-9-]{1,6}$/)),
  request: parameter(fc.constantFrom('e30', 'eyJhIjoxfQ', 'AA')),
  expires: parameter(fc.constantFrom('2025-01-15T12:05:00Z', '2025-01-15T12:05:00.1+02:00')),
  digest: parameter(fc.constantFrom('sha-256=:AA==:')),
  description: parameter(fc.string({ maxLength: 6 })),
  opaque: parameter(fc.constantFrom('e30', 'eyJyIjoiYSJ9')),
  unknown: fc.jsonValue({ maxDepth: 1 }),
}
const challengeLike = fc.record(parameters, {
  requiredKeys: ['id', 'realm', 'method', 'intent', 'request'],
})
const anyChallengeLike = fc.oneof(
  { arbitrary: challengeLike, weight: 4 },
  fc.record(parameters, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
)

/** An object of the given members on a plain, prototype-less or inherited shape. */
const shaped = (members: Record<string, unknown>, shape: string): unknown => {
  if (shape === 'null-prototype') return Object.assign(Object.create(null), members)
  if (shape === 'inherited') return Object.create(members)
  if (shape === 'class') return Object.assign(new (class {})(), members)
  return members
}

describe('compiled schemas', () => {
  it('Challenge: returns what Challenge.schema returns, wherever it returns anything', () => {
    fc.assert(
      fc.property(
        anyChallengeLike,
        fc.constantFrom('plain', 'null-prototype', 'inherited', 'class'),
        (members, shape) => {
          const value =
            typeof members === 'object' && members !== null && !Array.isArray(members)
              ? shaped(members as Record<string, unknown>, shape)
              : members
          const expected = Challenge.schema.safeParse(value)
          const actual = CompiledSchemas.challenge(value)
          if (!expected.success) expect(actual).toBeUndefined()
          // Anything it declines goes to the schema, which then accepts: declining is safe,
          // but valid challenges of plain shapes must not be declined.
          else if (actual === undefined) expect(shape).not.toBe('plain')
          else {
            expect(actual).toStrictEqual(expected.data)
            expect(Object.keys(actual)).toEqual(Object.keys(expected.data))
          }
        },
      ),
    )
  })

  it('Credential: returns what Credential.schema returns for parsed JSON', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            challenge: anyChallengeLike,
            source: fc.oneof(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })),
            payload: fc.oneof(
              { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue()), weight: 4 },
              fc.jsonValue({ maxDepth: 2 }),
              fc.constant(JSON.parse('{"a":1,"__proto__":{"b":2}}')),
            ),
            other: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: ['challenge'] },
        ),
        (members) => {
          // What Credential.deserialize hands it: Json.parse's output.
          const value = Json.parse(JSON.stringify(members))
          const expected = Credential.schema.safeParse(value)
          const actual = CompiledSchemas.credential(value)
          if (!expected.success) expect(actual).toBeUndefined()
          else if (actual !== undefined) {
            expect(actual).toStrictEqual(expected.data)
            expect(Object.keys(actual)).toEqual(Object.keys(expected.data))
            expect(Object.keys(actual.payload)).toEqual(Object.keys(expected.data.payload))
          }
        },
      ),
    )
  })
})
