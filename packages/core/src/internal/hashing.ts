// The hash functions core uses (HMAC-SHA256 for challenge binding, SHA-256 and SHA-512
// for body digests), in two implementations with identical output: the platform's
// `node:crypto` where the runtime offers it (Node, Deno, Bun: several times faster), and
// `@noble/hashes` everywhere else (browsers, workers). Chosen once, when this module loads.
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import * as Base64Url from '../Base64Url.js'

/** @internal What core hashes with. */
export type Hashing = {
  /** Which implementation this is. */
  name: 'node:crypto' | '@noble/hashes'
  /** HMAC-SHA256 (RFC 2104) of the UTF-8 bytes of `message` under `key`, as base64url. */
  hmacSha256(key: Uint8Array, message: string): string
  sha256(bytes: Uint8Array): Uint8Array
  sha512(bytes: Uint8Array): Uint8Array
}

const utf8 = new TextEncoder()

/** Largest message, in UTF-16 code units, that the one-shot HMAC's buffer always holds. */
const oneShotMaxLength = 2048

/**
 * A value derived from a key, computed once per key object and reused while that object
 * still holds the bytes it was derived from (a secret changed in place is derived again).
 */
function perKey<derived>(derive: (key: Uint8Array) => derived): (key: Uint8Array) => derived {
  const cache = new WeakMap<Uint8Array, { bytes: Uint8Array; value: derived }>()
  return (key) => {
    const found = cache.get(key)
    if (found !== undefined && sameBytes(found.bytes, key)) return found.value
    const value = derive(key)
    cache.set(key, { bytes: key.slice(), value })
    return value
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number)
  return difference === 0
}

/**
 * @internal `@noble/hashes`: HMAC keyed once per secret (keying hashes two blocks) and
 * cloned for each message.
 */
export const portable: Hashing = (() => {
  const keyed = perKey((key) => hmac.create(sha256, key))
  return {
    name: '@noble/hashes',
    hmacSha256: (key, message) =>
      Base64Url.encode(keyed(key).clone().update(utf8.encode(message)).digest()),
    sha256: (bytes) => sha256(bytes),
    sha512: (bytes) => sha512(bytes),
  }
})()

/** @internal The part of `node:crypto` used here (Node >= 20.12 has `hash`; older ones `createHash`). */
export type NodeCrypto = {
  createHmac(algorithm: 'sha256', key: Uint8Array): NodeHash
  createHash(algorithm: 'sha256' | 'sha512'): NodeHash
  hash?: (algorithm: 'sha256' | 'sha512', data: Uint8Array, encoding: NodeEncoding) => string
}
type NodeEncoding = 'latin1' | 'base64url'
type NodeHash = {
  update(data: Uint8Array | string, encoding?: 'utf8'): NodeHash
  digest(encoding: NodeEncoding): string
}
type NodeBuffer = Uint8Array & {
  write(text: string, offset: number, encoding: 'utf8' | 'latin1'): number
}
/** @internal */
export type NodeBufferModule = { Buffer: { allocUnsafeSlow(size: number): NodeBuffer } }

/**
 * @internal `node:crypto`, or `undefined` where the runtime has none. With one-shot
 * `crypto.hash` (Node >= 20.12), HMAC is computed as its definition reads, H((K ^ opad) ‖
 * H((K ^ ipad) ‖ m)), over padded keys derived once per secret and preallocated buffers:
 * no Hmac object per message, and digests as strings (`hash` returns a Buffer only through
 * its slower `createHash` fallback). Messages that do not fit the buffer, and older
 * runtimes, go through `createHmac`.
 */
export const native: Hashing | undefined = (() => {
  const crypto = builtin<NodeCrypto>('node:crypto')
  const buffers = builtin<NodeBufferModule>('node:buffer')
  return crypto === undefined || buffers === undefined ? undefined : fromNode(crypto, buffers)
})()

/** @internal The `node:crypto` implementation over the given modules (tests pass older shapes). */
export function fromNode(crypto: NodeCrypto, buffers: NodeBufferModule): Hashing {
  const digest = (algorithm: 'sha256' | 'sha512', bytes: Uint8Array): string =>
    crypto.hash !== undefined
      ? crypto.hash(algorithm, bytes, 'latin1')
      : crypto.createHash(algorithm).update(bytes).digest('latin1')
  const viaHmac = (key: Uint8Array, message: string) =>
    crypto.createHmac('sha256', key).update(message, 'utf8').digest('base64url')
  return {
    name: 'node:crypto',
    hmacSha256: oneShotHmac(crypto, buffers, digest) ?? viaHmac,
    sha256: (bytes) => fromLatin1(digest('sha256', bytes)),
    sha512: (bytes) => fromLatin1(digest('sha512', bytes)),
  }
}

/** @internal The implementation in use: `node:crypto` where available. */
export const selected: Hashing = native ?? portable

function oneShotHmac(
  crypto: NodeCrypto,
  buffers: NodeBufferModule,
  digest: (algorithm: 'sha256', bytes: Uint8Array) => string,
): Hashing['hmacSha256'] | undefined {
  const hash = crypto.hash
  if (hash === undefined) return undefined
  // (K ^ ipad) then the message; (K ^ opad) then the inner hash. UTF-8 takes at most three
  // bytes per UTF-16 code unit.
  const inner = buffers.Buffer.allocUnsafeSlow(64 + 3 * oneShotMaxLength)
  const outer = buffers.Buffer.allocUnsafeSlow(64 + 32)
  const pads = perKey((key) => {
    const block = new Uint8Array(64)
    block.set(key.length > 64 ? fromLatin1(digest('sha256', key)) : key)
    return { ipad: block.map((byte) => byte ^ 0x36), opad: block.map((byte) => byte ^ 0x5c) }
  })
  return (key, message) => {
    if (message.length > oneShotMaxLength)
      return crypto.createHmac('sha256', key).update(message, 'utf8').digest('base64url')
    const { ipad, opad } = pads(key)
    inner.set(ipad, 0)
    const length = inner.write(message, 64, 'utf8')
    outer.set(opad, 0)
    outer.write(hash('sha256', inner.subarray(0, 64 + length), 'latin1'), 64, 'latin1')
    return hash('sha256', outer, 'base64url')
  }
}

/** The bytes of a digest `crypto` returned as a latin1 string (one char per byte). */
function fromLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/** A Node built-in module, loaded synchronously (Node >= 20.16, Deno, Bun), or `undefined`. */
function builtin<module>(id: string): module | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process
  try {
    return runtime?.getBuiltinModule?.(id) as module | undefined
  } catch {
    // A runtime that names the function but cannot load the module: the portable path.
    return undefined
  }
}
