import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Json from './Json.js'

/** JSON values JCS can carry: finite numbers, well-formed strings. */
const value = fc.jsonValue({ maxDepth: 5 })

function shuffleKeys(input: unknown, seed: number): unknown {
  if (Array.isArray(input)) return input.map((item) => shuffleKeys(item, seed + 1))
  if (input === null || typeof input !== 'object') return input
  const entries = Object.entries(input)
  const rotated = entries
    .slice(seed % (entries.length || 1))
    .concat(entries.slice(0, seed % (entries.length || 1)))
  return Object.fromEntries(
    rotated.reverse().map(([key, item]) => [key, shuffleKeys(item, seed + 1)]),
  )
}

describe('Json properties', () => {
  it('canonicalize is idempotent: canonical text parses and re-serializes to itself {core.challenge.request.jcs}', () => {
    fc.assert(
      fc.property(value, (input) => {
        const text = Json.canonicalize(input)
        expect(Json.canonicalize(Json.parse(text, { maxDepth: 64, maxLength: 10_000_000 }))).toBe(
          text,
        )
      }),
    )
  })

  it('canonicalize does not depend on key insertion order', () => {
    fc.assert(
      fc.property(value, fc.nat(), (input, seed) => {
        expect(Json.canonicalize(shuffleKeys(input, seed))).toBe(Json.canonicalize(input))
      }),
    )
  })

  it('canonical text is what JSON.parse reads back to an equal value', () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(JSON.parse(Json.canonicalize(input))).toEqual(JSON.parse(JSON.stringify(input)))
      }),
    )
  })
})
