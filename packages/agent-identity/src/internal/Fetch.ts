// A GET of a URL a request named (a key directory, an agent card): the SSRF precautions of
// draft-ietf-webbotauth-httpsig-protocol-01 §"Server-Side Request Forgery": https only
// (http only for loopback hosts, when allowed), no private, link-local or (unless allowed)
// loopback addresses, no redirects followed, a wall-clock timeout over the whole exchange
// and a byte cap on the decoded body.

import * as Address from './Address.js'
import { AgentError } from './AgentError.js'

/** @internal Limits and transport of one bounded fetch. */
export type Options = {
  fetch: (input: string, init: RequestInit) => Promise<Response>
  lookup: (hostname: string) => Promise<readonly string[]>
  maxBytes: number
  timeoutMs: number
  allowLoopback: boolean
  accept: string
}

/** @internal What a bounded fetch returns: the body and the response's headers. */
export type Fetched = { body: string; headers: Headers; fetchedAt: number }

/** @internal Resolves a hostname with the system resolver (every address). */
export async function systemLookup(hostname: string): Promise<readonly string[]> {
  const { lookup } = await import('node:dns/promises')
  return (await lookup(hostname, { all: true })).map((entry) => entry.address)
}

/** @internal Checks the URL and its addresses, then fetches it within the limits. */
export async function get(url: string, options: Options): Promise<Fetched> {
  const parsed = checkUrl(url, options)
  const signal = AbortSignal.timeout(options.timeoutMs)
  try {
    await checkAddresses(parsed, options, signal)
    const response = await options.fetch(parsed.href, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { accept: options.accept },
    })
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      throw new RedirectRefusedError(
        `${parsed.href} answered ${response.status}; redirects are not followed`,
      )
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new StatusError(`${parsed.href} answered ${response.status}, not 200`)
    }
    const body = await read(response, options.maxBytes, parsed.href)
    return { body, headers: response.headers, fetchedAt: Date.now() }
  } catch (error) {
    if (error instanceof AgentError) throw error
    if (signal.aborted)
      throw new TimeoutError(`${parsed.href} did not answer within ${options.timeoutMs} ms`, {
        cause: error,
      })
    throw new UnreachableError(`${parsed.href} could not be fetched`, { cause: error })
  }
}

function checkUrl(url: string, options: Options): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new InsecureUrlError('not an absolute URL', { cause })
  }
  if (parsed.username !== '' || parsed.password !== '')
    throw new InsecureUrlError(`${parsed.origin} carries credentials in its URL`)
  const loopback = Address.isLoopbackHost(parsed.hostname)
  if (loopback && !options.allowLoopback)
    throw new InsecureUrlError(`${parsed.origin} is a loopback address`)
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback))
    throw new InsecureUrlError(`${parsed.origin} is not https (plain http only on loopback)`)
  return parsed
}

async function checkAddresses(url: URL, options: Options, signal: AbortSignal) {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addresses = Address.isLiteral(host) ? [host] : await options.lookup(host)
  signal.throwIfAborted()
  for (const address of addresses) {
    const kind = Address.classify(address)
    if (kind === 'public' || (kind === 'loopback' && options.allowLoopback)) continue
    throw new InsecureUrlError(`${url.hostname} resolves to a ${kind} address`)
  }
}

async function read(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new TooLargeError(`${url} declares ${declared} bytes, more than ${maxBytes}`)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > maxBytes) {
      await reader.cancel()
      throw new TooLargeError(`${url} sent more than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
}

/**
 * Raised when a URL may not be fetched: not https outside loopback, loopback when not
 * allowed, a private or link-local address, or credentials in the URL.
 */
export class InsecureUrlError extends AgentError {
  override readonly name = 'Directory.InsecureUrlError'
  readonly code = 'ERR_AGENT_DIRECTORY_INSECURE'
  readonly slug = 'directory-unavailable'
}

/** Raised when the fetched URL answers with a redirect, which is never followed. */
export class RedirectRefusedError extends AgentError {
  override readonly name = 'Directory.RedirectRefusedError'
  readonly code = 'ERR_AGENT_DIRECTORY_REDIRECT'
  readonly slug = 'directory-unavailable'
}

/** Raised when the fetched URL answers with a status other than 200. */
export class StatusError extends AgentError {
  override readonly name = 'Directory.StatusError'
  readonly code = 'ERR_AGENT_DIRECTORY_STATUS'
  readonly slug = 'directory-unavailable'
}

/** Raised when the body is larger than the cap (after content decoding). */
export class TooLargeError extends AgentError {
  override readonly name = 'Directory.TooLargeError'
  readonly code = 'ERR_AGENT_DIRECTORY_TOO_LARGE'
  readonly slug = 'directory-unavailable'
}

/** Raised when the exchange does not complete within the time cap. */
export class TimeoutError extends AgentError {
  override readonly name = 'Directory.TimeoutError'
  readonly code = 'ERR_AGENT_DIRECTORY_TIMEOUT'
  readonly slug = 'directory-unavailable'
}

/** Raised when the host cannot be reached (DNS, connection or TLS failure). */
export class UnreachableError extends AgentError {
  override readonly name = 'Directory.UnreachableError'
  readonly code = 'ERR_AGENT_DIRECTORY_UNREACHABLE'
  readonly slug = 'directory-unavailable'
}
