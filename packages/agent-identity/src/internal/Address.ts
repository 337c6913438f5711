// Classifies IP addresses for the SSRF precautions of key-directory fetches: which are
// public, and which are loopback, private, link-local or otherwise not to be fetched.
import { isIP } from 'node:net'

/** @internal What an address is, as far as fetching it goes. */
export type Kind = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved'

/** @internal Whether a host is an IP literal rather than a name. */
export function isLiteral(host: string): boolean {
  return isIP(host) !== 0
}

/** @internal Classifies an IPv4 or IPv6 address. */
export function classify(address: string): Kind {
  if (isIP(address) === 4) return classifyV4(address)
  const lower = address.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped?.[1] !== undefined) return classifyV4(mapped[1])
  if (lower === '::1') return 'loopback'
  if (lower === '::') return 'reserved'
  const first = Number.parseInt(lower.split(':')[0] || '0', 16)
  if ((first & 0xfe00) === 0xfc00) return 'private'
  if ((first & 0xffc0) === 0xfe80) return 'link-local'
  if ((first & 0xff00) === 0xff00) return 'reserved'
  return 'public'
}

function classifyV4(address: string): Kind {
  const [a = 0, b = 0] = address.split('.').map(Number)
  if (a === 127) return 'loopback'
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
  if (a === 100 && b >= 64 && b <= 127) return 'private'
  if (a === 169 && b === 254) return 'link-local'
  if (a === 0 || a >= 224 || (a === 198 && (b === 18 || b === 19))) return 'reserved'
  return 'public'
}

/** @internal Whether a hostname (as `URL.hostname` gives it) names a loopback host. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  return isLiteral(host) && classify(host) === 'loopback'
}
