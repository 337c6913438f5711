// Property: no input reaches a paid handler unpaid. Resource URIs (spellings of the paid
// ones: case, tabs and newlines, dot segments, default ports, backslashes, percent
// escapes, fragments, credentials, arbitrary strings) and tool names (case, Unicode
// forms, invisible characters, prototype names) go through the SDK's own resolution (an
// McpServer without the gate, whose handlers say where the SDK dispatched) and through
// the gated server together: the gate charges exactly what the SDK dispatches to a paid
// handler, and no paid handler ever runs without a payment.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Payments from './Payments.js'
import * as Fixture from './test/fixture.js'
import * as Raw from './test/raw.js'

const exact = [
  'data://premium/radar',
  'https://data.example.com/reports/q1',
  'http://example.com:8080/a/b?x=1',
  'urn:paid:item',
  'file:///srv/paid.txt',
]
const templates = [
  ['maps', 'data://premium/maps/{region}'],
  ['items', 'https://api.example.com/items/{id}'],
  ['files', 'data://premium/files{/path*}'],
] as const
const freeExact = ['data://free/info', 'https://data.example.com/free']
const freeTemplate = 'data://public/{name}'
const tools = ['forecast', 'paid_tool', 'Forecast-2', 'a-b', 'x.y']
const freeTools = ['echo']

/** Where a request was dispatched: a paid handler's name, `free`, or `none` (refused). */
type Dispatch = string

/** A read callback that notes `name` and answers a resource. */
const reading = (note: (name: string) => void, name: string) => (uri: URL) => {
  note(name)
  return { contents: [{ uri: uri.href, text: 'x' }] }
}

/** A tool callback that notes `name`. */
const calling = (note: (name: string) => void, name: string) => () => {
  note(name)
  return { content: [{ type: 'text' as const, text: 'x' }] }
}

const templateOf = (template: string) => new ResourceTemplate(template, { list: undefined })

/** The SDK alone: every handler records where it was dispatched. */
function oracle(record: (dispatch: Dispatch) => void): McpServer {
  const mcp = new McpServer({ name: 'oracle', version: '1.0.0' })
  for (const uri of exact) mcp.registerResource(uri, uri, {}, reading(record, uri))
  for (const [name, template] of templates)
    mcp.registerResource(name, templateOf(template), {}, reading(record, name))
  for (const uri of freeExact) mcp.registerResource(uri, uri, {}, reading(record, 'free'))
  mcp.registerResource('public', templateOf(freeTemplate), {}, reading(record, 'free'))
  for (const name of tools) mcp.registerTool(name, {}, calling(record, name))
  for (const name of freeTools) mcp.registerTool(name, {}, calling(record, 'free'))
  return mcp
}

/** The same operations behind the gate: paid ones through `Payments` (guarded) or `protect`. */
function gated(payments: Payments.Payments, ran: (name: string) => void): McpServer {
  const mcp = new McpServer({ name: 'gated', version: '1.0.0' })
  const payment = { price: { amount: '1' } }
  const ignore = () => undefined
  exact.forEach((uri, index) => {
    if (index % 2 === 0) payments.resource(mcp, uri, uri, { payment }, reading(ran, uri))
    else {
      // Marked with protect: the handler checks the payment itself.
      mcp.registerResource(uri, uri, {}, (url, extra) =>
        reading(ran, payments.payment(extra) === undefined ? uri : `${uri} (paid)`)(url),
      )
      payments.protect({ method: 'resources/read', uri }, payment)
    }
  })
  for (const [name, template] of templates)
    payments.resource(mcp, name, templateOf(template), { payment }, reading(ran, name))
  for (const uri of freeExact) mcp.registerResource(uri, uri, {}, reading(ignore, uri))
  mcp.registerResource('public', templateOf(freeTemplate), {}, reading(ignore, 'public'))
  for (const name of tools) payments.tool(mcp, name, { payment }, calling(ran, name))
  for (const name of freeTools) mcp.registerTool(name, {}, calling(ignore, name))
  return mcp
}

async function connect(mcp: McpServer, wrap = (t: InMemoryTransport) => t as never) {
  const [client, server] = InMemoryTransport.createLinkedPair()
  await mcp.connect(wrap(server))
  return Raw.open(client)
}

/** Case flips, invisible and ignorable characters, dot segments, escapes: one each. */
const mutation = fc.oneof(
  fc.constant((s: string) => s.toUpperCase()),
  fc.constant((s: string) => s.replace(/^[a-z]+/, (scheme) => scheme.toUpperCase())),
  fc.constant((s: string) => s.replace(/\/\/([^/]+)/, (host) => host.toUpperCase())),
  fc
    .nat()
    .map(
      (at) => (s: string) => `${s.slice(0, at % (s.length + 1))}\t${s.slice(at % (s.length + 1))}`,
    ),
  fc
    .nat()
    .map(
      (at) => (s: string) => `${s.slice(0, at % (s.length + 1))}\n${s.slice(at % (s.length + 1))}`,
    ),
  fc.constantFrom(' ', '\u0000', '\u001f', '\r\n').map((pad) => (s: string) => `${pad}${s}${pad}`),
  fc.constant((s: string) => s.replace(/\/([^/]*)$/, '/./$1')),
  fc.constant((s: string) => s.replace(/\/([^/]*)$/, '/zz/../$1')),
  fc.constant((s: string) => s.replace(/^https:\/\/([^/]+)/, 'https://$1:443')),
  fc.constant((s: string) => s.replace(/^http:\/\/([^/:]+)/, 'http://$1:80')),
  fc.constant((s: string) => s.replace(/\/([^/]*)$/, '\\$1')),
  fc.constant((s: string) => s.replace(/([a-z])$/, (c) => `%${c.charCodeAt(0).toString(16)}`)),
  fc.constant((s: string) => `${s}#fragment`),
  fc.constant((s: string) => `${s}?`),
  fc.constant((s: string) => s.replace('://', '://user:pass@')),
  fc.constant((s: string) => s.normalize('NFD')),
)

const segment = fc.stringMatching(/^[a-zA-Z0-9._~%-]{0,12}$/)
const baseUri = fc.oneof(
  fc.constantFrom(...exact, ...freeExact),
  segment.map((s) => `data://premium/maps/${s}`),
  segment.map((s) => `https://api.example.com/items/${s}`),
  fc.array(segment, { maxLength: 3 }).map((parts) => `data://premium/files/${parts.join('/')}`),
  segment.map((s) => `data://public/${s}`),
)
const uri = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(baseUri, fc.array(mutation, { maxLength: 3 })) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.string(), fc.webUrl()), fc.constant([])) },
  )
  .map(([base, changes]) => changes.reduce((value, change) => change(value), base))

const toolName = fc.oneof(
  fc
    .tuple(fc.constantFrom(...tools, ...freeTools), fc.array(mutation, { maxLength: 2 }))
    .map(([name, changes]) => changes.reduce((value, change) => change(value), name)),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'forecast\u200b',
    'Forecast',
  ),
  fc.string(),
)

describe('the gate and the SDK resolving together {mcp.challenge.code, mcp.operations.resources, mcp.operations.tools}', () => {
  const dispatched: Dispatch[] = []
  const ranUnpaid: string[] = []
  const outcomes = { paid: 0, other: 0 }
  let sdk: Raw.Raw
  let gate: Raw.Raw

  beforeAll(async () => {
    const payments = Fixture.payments()
    sdk = await connect(oracle((dispatch) => dispatched.push(dispatch)))
    gate = await connect(
      gated(payments, (name) => {
        if (!name.endsWith('(paid)')) ranUnpaid.push(name)
      }),
      (transport) => payments.transport(transport) as never,
    )
  })
  afterAll(async () => {
    await sdk?.close()
    await gate?.close()
  })

  /** Where the SDK alone dispatches a request. */
  async function where(method: string, params: Record<string, unknown>): Promise<Dispatch> {
    dispatched.length = 0
    await sdk.request(method, params)
    return dispatched[0] ?? 'none'
  }

  /** Sends the request unpaid (with a forged credential too) and checks both properties. */
  async function check(method: string, params: Record<string, unknown>): Promise<void> {
    const target = await where(method, params)
    const paidTarget = target !== 'free' && target !== 'none'
    outcomes[paidTarget ? 'paid' : 'other']++
    const plain = await gate.request(method, params)
    const forged = await gate.request(method, {
      ...params,
      _meta: Raw.paying({ challenge: { id: 'x' }, payload: {} }),
    })
    expect(ranUnpaid).toEqual([])
    expect([target, plain.error?.code === -32042]).toEqual([target, paidTarget])
    expect(forged.result === undefined || !paidTarget).toBe(true)
  }

  it('charges every resource URI the SDK dispatches to a paid handler, and only those', async () => {
    outcomes.paid = outcomes.other = 0
    await fc.assert(fc.asyncProperty(uri, (value) => check('resources/read', { uri: value })))
    // Not vacuous: the inputs reached paid handlers and other ones.
    expect(outcomes.paid).toBeGreaterThan(0)
    expect(outcomes.other).toBeGreaterThan(0)
  })

  it('charges every tool name the SDK dispatches to a paid tool, and only those', async () => {
    outcomes.paid = outcomes.other = 0
    await fc.assert(
      fc.asyncProperty(toolName, (name) => check('tools/call', { name, arguments: {} })),
    )
    expect(outcomes.paid).toBeGreaterThan(0)
    expect(outcomes.other).toBeGreaterThan(0)
  })
})
