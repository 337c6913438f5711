// Whether a request arrived over TLS, as far as the server can tell (core draft,
// Transport Security: challenges and credentials travel only over TLS).
import type { Config } from './config.js'

// @enforces core.tls.version, core.tls.server-no-plaintext
/** @internal Whether payment messages may be exchanged on this request. */
export function secure(
  config: Pick<Config, 'plaintext' | 'trustForwardedProto'>,
  request: Request,
): boolean {
  if (config.plaintext === 'allow') return true
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return false
  }
  if (url.protocol === 'https:') return true
  if (config.trustForwardedProto) {
    // The proxy closest to us appends last; only the last value is its own.
    const forwarded = request.headers
      .get('x-forwarded-proto')
      ?.split(',')
      .at(-1)
      ?.trim()
      .toLowerCase()
    if (forwarded === 'https') return true
  }
  return config.plaintext === 'loopback' && isLoopback(url.hostname)
}

/**
 * @internal Loopback host names. The host comes from the request, so a remote client can
 * claim one; that only lets it exchange its own payment messages in the clear, while an
 * honest client naming the public host is still refused.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true
  const octets = host.split('.')
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^(?:0|[1-9][0-9]{0,2})$/.test(octet) && Number(octet) <= 255)
  )
}
