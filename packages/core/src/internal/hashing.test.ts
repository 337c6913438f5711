import * as buffers from 'node:buffer'
import * as crypto from 'node:crypto'
import { createHash, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Hashing from './hashing.js'

const native = Hashing.native as Hashing.Hashing
/** node:crypto as Node before 20.12 has it: no one-shot `hash`, every HMAC through `createHmac`. */
const olderNode = Hashing.fromNode(
  { ...crypto, hash: undefined } as unknown as Hashing.NodeCrypto,
  buffers as unknown as Hashing.NodeBufferModule,
)

/** Keys of every length class HMAC treats differently: short, one block, longer than a block. */
const key = fc.uint8Array({ minLength: 0, maxLength: 200 })
/** Messages with any UTF-16 code unit (lone surrogates included), short and long. */
const message = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: 'grapheme-ascii', minLength: 2040, maxLength: 2100 }),
)

describe('Hashing', () => {
  it('uses node:crypto on Node', () => {
    expect(Hashing.native?.name).toBe('node:crypto')
    expect(Hashing.selected).toBe(Hashing.native)
  })

  it('node:crypto and @noble/hashes give identical HMAC-SHA256 bytes (as base64url)', () => {
    fc.assert(
      fc.property(key, message, (k, m) => {
        const expected = Hashing.portable.hmacSha256(k, m)
        expect(native.hmacSha256(k, m)).toEqual(expected)
        expect(olderNode.hmacSha256(k, m)).toEqual(expected)
        // And both are RFC 2104 HMAC as OpenSSL computes it.
        expect(expected).toBe(createHmac('sha256', k).update(m).digest('base64url'))
      }),
    )
  })

  it('node:crypto and @noble/hashes give identical SHA-256 and SHA-512 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(native.sha256(bytes)).toEqual(Hashing.portable.sha256(bytes))
        expect(native.sha512(bytes)).toEqual(Hashing.portable.sha512(bytes))
        expect(olderNode.sha256(bytes)).toEqual(Hashing.portable.sha256(bytes))
        expect(olderNode.sha512(bytes)).toEqual(Hashing.portable.sha512(bytes))
        expect(Hashing.portable.sha256(bytes)).toEqual(
          new Uint8Array(createHash('sha256').update(bytes).digest()),
        )
      }),
    )
  })

  it('returns plain Uint8Arrays for digests, which no later call overwrites', () => {
    const bytes = new Uint8Array(32).fill(7)
    for (const hashing of [native, olderNode]) {
      const first = hashing.sha256(bytes)
      const kept = first.slice()
      hashing.sha256(new Uint8Array(8))
      expect(first).toEqual(kept)
      expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype)
      expect(Object.getPrototypeOf(hashing.sha512(bytes))).toBe(Uint8Array.prototype)
    }
  })

  it('keys again when a key object is changed in place, in both implementations', () => {
    for (const hashing of [native, olderNode, Hashing.portable]) {
      const k = new Uint8Array(40).fill(1)
      const before = hashing.hmacSha256(k, 'message')
      k[0] = 2
      const after = hashing.hmacSha256(k, 'message')
      expect(after).not.toEqual(before)
      expect(after).toBe(createHmac('sha256', k).update('message').digest('base64url'))
    }
  })
})
