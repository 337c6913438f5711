// Paid resources (draft-payment-transport-mcp §"Resource Access", §"Signaling Payment
// Required"): a paid resource is paid for whatever the spelling of its URI. A URI that
// the WHATWG URL parser (which MCP servers use to resolve resources) turns into the same
// URL names the same resource: read without a credential, it must never be served.

import { type Check, define, describe, Failure } from '../Check.js'
import type * as Session from '../Session.js'

/**
 * Spellings of `uri` that parse to the same URL: scheme and host case, leading and
 * trailing spaces, tabs and newlines (removed by the parser), dot segments, the default
 * port. Only those that really are the same URL are kept.
 */
export function spellings(uri: string): string[] {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return []
  }
  const href = url.href
  const scheme = url.protocol.slice(0, -1)
  const afterScheme = href.slice(scheme.length)
  const lastSlash = href.lastIndexOf('/')
  const candidates = [
    `${scheme.toUpperCase()}${afterScheme}`,
    ` ${href}`,
    `${href}\n`,
    `${scheme}:\t${afterScheme.slice(1)}`,
    href.replace(url.host, url.host.toUpperCase()),
    lastSlash > href.indexOf('//') + 1
      ? `${href.slice(0, lastSlash)}/./${href.slice(lastSlash + 1)}`
      : href,
    lastSlash > href.indexOf('//') + 1
      ? `${href.slice(0, lastSlash)}/conformance/../${href.slice(lastSlash + 1)}`
      : href,
    url.protocol === 'https:' && url.port === '' ? href.replace(url.host, `${url.host}:443`) : href,
    url.protocol === 'http:' && url.port === '' ? href.replace(url.host, `${url.host}:80`) : href,
  ]
  const same = candidates.filter((candidate) => {
    try {
      return candidate !== uri && new URL(candidate).href === href
    } catch {
      return false
    }
  })
  return [...new Set(same)]
}

/** Reads each spelling unpaid; fails on the first one served. */
async function neverServed(session: Session.Session, uris: readonly string[]): Promise<number> {
  let challenged = 0
  for (const uri of uris) {
    const answer = await session.request('resources/read', { uri })
    if (answer.result !== undefined)
      throw new Failure(
        `the paid resource was served without payment when read as ${JSON.stringify(uri)}`,
      )
    if (answer.error?.code === -32042) challenged++
  }
  return challenged
}

const spelling = define({
  id: 'mcp.resources.spelling',
  title: 'A paid resource is never served unpaid under another spelling of its URI',
  level: 'MUST',
  requirements: ['mcp.challenge.code', 'mcp.operations.resources'],
  needs: ['mcp:resource'],
  tags: ['mcp', 'resources'],
  async run(context) {
    const uri = context.config.resources.paid as string
    const session = await context.open()
    const canonical = await session.request('resources/read', { uri })
    if (canonical.error?.code !== -32042)
      throw new Failure(`an unpaid read of ${uri} got ${describe(canonical)}, expected -32042`)
    const variants = spellings(uri)
    const challenged = await neverServed(session, variants)
    return { message: `${variants.length} spellings refused, ${challenged} with -32042` }
  },
})

const template = define({
  id: 'mcp.resources.template',
  title: 'A resource a paid template matches is paid for, whatever the spelling of its URI',
  level: 'MUST',
  requirements: ['mcp.challenge.code', 'mcp.operations.resources'],
  needs: ['mcp:template'],
  tags: ['mcp', 'resources'],
  async run(context) {
    const uri = context.config.resources.template as string
    const session = await context.open()
    const canonical = await session.request('resources/read', { uri })
    if (canonical.result !== undefined)
      throw new Failure(`the resource ${uri}, matched by a paid template, was served unpaid`)
    if (canonical.error?.code !== -32042)
      throw new Failure(`an unpaid read of ${uri} got ${describe(canonical)}, expected -32042`)
    await neverServed(session, spellings(uri))
    return undefined
  },
})

/** The resource checks, in run order. */
export const checks: readonly Check[] = [spelling, template]
