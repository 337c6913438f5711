// The client × server matrix: every client (an adapter of the mpp-tools ABI, driven through
// its `http.payment_request` flow operation) pays every server's paid route once, and each
// cell says what happened: paid (a 2xx with a valid receipt, one credential sent), refused
// (by the client or by the server, with the reason), unsupported, or error. The verdicts are
// those of the other modes (Results.verdicts): a cell is expected to be paid unless the
// configuration expects otherwise, with its reason (for a known deviation, its row in
// spec/DEVIATIONS.md). The zod schema is the single source of schemas/matrix.schema.json.
import { isAbsolute, resolve } from 'node:path'
import { Receipt } from '@paywire/core'
import { z } from 'zod'
import * as Adapter from './client/Adapter.js'
import * as Results from './Results.js'
import * as Vectors from './Vectors.js'

/** What a cell's payment came to. */
export const outcomes = ['paid', 'refused', 'unsupported', 'error'] as const

/** What a cell's payment came to. */
export type Outcome = (typeof outcomes)[number]

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a short name')

/** The configuration (`--config matrix.json`); relative paths are the file's directory's. */
export const configSchema = z.strictObject({
  clients: z
    .array(
      z.union([
        z.strictObject({ name, adapter: z.string().min(1) }),
        z.strictObject({
          name,
          command: z.array(z.string()).min(1),
          cwd: z.string().optional(),
        }),
      ]),
    )
    .min(1),
  servers: z
    .array(
      z.strictObject({
        name,
        /** Base URL, `http://127.0.0.1:8402`. */
        url: z.url({ protocol: /^https?$/ }),
        /** The paid route: path (and query) on `url`, its method, its body. */
        route: z.strictObject({
          path: z.string().startsWith('/'),
          method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
          headers: z.record(z.string(), z.string()).default({}),
          body: z.string().nullable().default(null),
        }),
        /** The `payer` extension handed to every client (README, "Checking a client"). */
        payer: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1),
  /** Cells not expected to be paid, each with why. */
  expected: z
    .array(
      z.strictObject({
        client: name,
        server: name,
        outcome: z.enum(outcomes).exclude(['paid']),
        /** Who refuses, for a refusal. */
        by: z.enum(['client', 'server']).optional(),
        /** Text the cell's reason must contain (case-insensitive). */
        match: z.string().min(1).optional(),
        /** Why, with the draft section and the DEVIATIONS row when there is one. */
        reason: z.string().min(1),
      }),
    )
    .default([]),
  /** Per call, milliseconds (default 60 s). */
  timeoutMs: z.number().int().positive().default(60_000),
})

/** The configuration as written. */
export type Config = z.input<typeof configSchema>

/** One cell of the JSON report. */
export const cellSchema = z.object({
  client: z.string(),
  server: z.string(),
  outcome: z.enum(outcomes),
  by: z.enum(['client', 'server']).optional().meta({ description: 'Who refused.' }),
  status: z.number().int().optional().meta({ description: 'Status of the final response.' }),
  reason: z.string().meta({ description: 'What decided the outcome.' }),
  verdict: z.enum(Results.verdicts),
  expected: z
    .object({ outcome: z.enum(outcomes), reason: z.string() })
    .optional()
    .meta({ description: 'The configured expectation, when the cell is not expected paid.' }),
  payment: z
    .object({
      method: z.string().optional(),
      intent: z.string().optional(),
      amount: z.string().optional(),
      currency: z.string().optional(),
      reference: z.string().optional().meta({ description: "The receipt's reference." }),
    })
    .optional(),
  durationMs: z.number(),
})

/** One cell. */
export type Cell = z.infer<typeof cellSchema>

/** The JSON report of a matrix run. */
export const schema = z
  .object({
    $schema: z.string().optional(),
    suite: z.object({ name: z.string(), version: z.string() }),
    clients: z.array(z.string()),
    servers: z.array(z.object({ name: z.string(), url: z.string(), route: z.string() })),
    startedAt: z.string().meta({ format: 'date-time' }),
    durationMs: z.number(),
    summary: Results.schema.shape.summary,
    cells: z.array(cellSchema).meta({ description: 'One per client × server, clients first.' }),
  })
  .meta({
    title: 'paywire-conformance matrix',
    description: 'Each client paying each server once, through http.payment_request.',
  })

/** The JSON report of a matrix run. */
export type Matrix = z.infer<typeof schema>

/**
 * Reads a configuration: clients' manifests and working directories resolved against
 * `directory` (the configuration file's).
 *
 * @throws {InvalidMatrixConfigError} naming the first wrong field.
 * @example
 * ```ts
 * import { Matrix } from '@paywire/conformance'
 * const config = Matrix.read(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('matrix.json', 'utf8'))), '.')
 * ```
 */
export function read(config: unknown, directory: string): read.ReturnType {
  const result = configSchema.safeParse(config)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new InvalidMatrixConfigError(
      `${issue?.path.map(String).join('.') || 'config'}: ${issue?.message ?? 'invalid'}`,
    )
  }
  const { clients, servers, expected, timeoutMs } = result.data
  const at = (path: string) => (isAbsolute(path) ? path : resolve(directory, path))
  const resolved = clients.map((client) => {
    if ('command' in client)
      return { name: client.name, command: client.command, cwd: at(client.cwd ?? '.') }
    const manifest = Vectors.readManifest(at(client.adapter))
    if (!manifest.capabilities.includes('http.payment_request'))
      throw new InvalidMatrixConfigError(`${client.adapter} does not claim http.payment_request`)
    return { name: client.name, command: manifest.command, cwd: manifest.cwd }
  })
  for (const list of [resolved, servers] as const) {
    const names = list.map((entry) => entry.name)
    const twice = names.find((entry, index) => names.indexOf(entry) !== index)
    if (twice !== undefined) throw new InvalidMatrixConfigError(`name "${twice}" is used twice`)
  }
  for (const entry of expected)
    if (
      !resolved.some((c) => c.name === entry.client) ||
      !servers.some((s) => s.name === entry.server)
    )
      throw new InvalidMatrixConfigError(
        `expected: no cell ${entry.client} × ${entry.server} in the matrix`,
      )
  return { clients: resolved, servers, expected, timeoutMs }
}

export declare namespace read {
  type ReturnType = {
    clients: Array<{ name: string } & Adapter.Command>
    servers: z.output<typeof configSchema>['servers']
    expected: z.output<typeof configSchema>['expected']
    timeoutMs: number
  }
}

/**
 * Runs the matrix: each client pays each server's route once, one call at a time (a
 * payer account is never used by two payments at once).
 *
 * @example
 * ```ts
 * import { Matrix } from '@paywire/conformance'
 * declare const config: Matrix.Config
 * const matrix = await Matrix.run(Matrix.read(config, '.'))
 * console.log(matrix.summary)
 * ```
 */
export async function run(config: read.ReturnType, options: run.Options = {}): Promise<Matrix> {
  const startedAt = new Date()
  const started = performance.now()
  const cells: Cell[] = []
  for (const client of config.clients)
    for (const server of config.servers) {
      const url = new URL(server.route.path, server.url).href
      const call = await Adapter.call(
        client,
        {
          schema: 1,
          op: 'http.payment_request',
          input: {
            url,
            method: server.route.method,
            headers: server.route.headers,
            body: server.route.body,
            payment: { payload: {} },
            mode: 'payment',
            payer: server.payer,
          },
        },
        config.timeoutMs,
      )
      const expectation = config.expected.find(
        (entry) => entry.client === client.name && entry.server === server.name,
      )
      const cell = { client: client.name, server: server.name, ...judge(call) }
      cells.push({ ...cell, ...verdictOf(cell, expectation), durationMs: call.durationMs })
      options.onCell?.(cells[cells.length - 1] as Cell)
    }
  return {
    suite: Results.suite,
    clients: config.clients.map((client) => client.name),
    servers: config.servers.map((server) => ({
      name: server.name,
      url: server.url,
      route: `${server.route.method} ${server.route.path}`,
    })),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    summary: Results.summarize(cells),
    cells,
  }
}

export declare namespace run {
  type Options = {
    /** Called after each cell. */
    onCell?: ((cell: Cell) => void) | undefined
  }
}

/**
 * The JSON Schema of the JSON report (draft 2020-12), as published in
 * `schemas/matrix.schema.json`.
 *
 * @example
 * ```ts
 * import { Matrix } from '@paywire/conformance'
 * const jsonSchema = Matrix.jsonSchema()
 * ```
 */
export function jsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://paywire.dev/schemas/conformance/matrix.schema.json',
    ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
  }
}

/** Raised when a matrix configuration cannot be used. */
export class InvalidMatrixConfigError extends Error {
  override readonly name = 'Matrix.InvalidMatrixConfigError'
  readonly code = 'ERR_CONFORMANCE_MATRIX_CONFIG_INVALID'
}

// --- judging ------------------------------------------------------------------------------

type Judged = Pick<Cell, 'outcome' | 'by' | 'status' | 'reason' | 'payment'>

/** What the adapter's answer says happened; the receipt is read again here, not trusted. */
function judge(call: Adapter.Outcome): Judged {
  const { response } = call
  if (response === undefined) return { outcome: 'error', reason: call.failure ?? 'no answer' }
  if (!response.ok) {
    const { type, message } = response.error
    if (type === 'unsupported_operation') return { outcome: 'unsupported', reason: message }
    return { outcome: 'refused', by: 'client', reason: `${type}: ${message}` }
  }
  const value = valueSchema.safeParse(response.value)
  if (!value.success)
    return { outcome: 'error', reason: `the answer is not an HttpResponse with payment` }
  const { status, headers, body, payment } = value.data
  const credentials = payment.credentials ?? (payment.paid ? 1 : 0)
  if (status < 200 || status > 299) {
    const by = payment.paid ? 'server' : 'client'
    return { outcome: 'refused', by, status, reason: `${status} ${problemOf(body)}`.trim() }
  }
  if (!payment.paid)
    return { outcome: 'error', status, reason: `${status} without a payment: the route is free` }
  if (credentials !== 1)
    return { outcome: 'error', status, reason: `${credentials} credentials sent for one request` }
  const header = Object.entries(headers).find(([key]) => key.toLowerCase() === 'payment-receipt')
  let receipt: Receipt.Receipt
  try {
    receipt = Receipt.deserialize(header?.[1] ?? '')
  } catch (error) {
    return {
      outcome: 'error',
      status,
      reason: `${status} without a valid receipt: ${(error as Error).message}`,
    }
  }
  if (payment.method !== undefined && receipt.method !== payment.method)
    return {
      outcome: 'error',
      status,
      reason: `the receipt names method ${receipt.method}, the payment was ${payment.method}`,
    }
  return {
    outcome: 'paid',
    status,
    reason: `${status}, receipt ${receipt.method} ${receipt.reference}`,
    payment: {
      method: payment.method,
      intent: payment.intent,
      amount: payment.amount,
      currency: payment.currency,
      reference: receipt.reference,
    },
  }
}

const valueSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  payment: z.object({
    paid: z.boolean(),
    credentials: z.number().int().nonnegative().optional(),
    method: z.string().optional(),
    intent: z.string().optional(),
    amount: z.string().optional(),
    currency: z.string().optional(),
  }),
})

/** A problem details body's `type` and `detail`, else the start of the body. */
function problemOf(body: string): string {
  try {
    const problem = JSON.parse(body) as { type?: unknown; detail?: unknown }
    if (typeof problem.type === 'string')
      return `${problem.type}${typeof problem.detail === 'string' ? `: ${problem.detail}` : ''}`
  } catch {}
  return body.slice(0, 200)
}

function verdictOf(
  cell: Judged,
  expectation: read.ReturnType['expected'][number] | undefined,
): Pick<Cell, 'verdict' | 'expected'> {
  if (expectation === undefined) {
    if (cell.outcome === 'paid') return { verdict: 'pass' }
    if (cell.outcome === 'unsupported') return { verdict: 'n/a' }
    return { verdict: cell.outcome === 'error' ? 'error' : 'fail' }
  }
  const expected = { outcome: expectation.outcome, reason: expectation.reason }
  const met =
    cell.outcome === expectation.outcome &&
    (expectation.by === undefined || cell.by === expectation.by) &&
    (expectation.match === undefined ||
      cell.reason.toLowerCase().includes(expectation.match.toLowerCase()))
  return { verdict: met ? 'xfail' : 'fail', expected }
}
