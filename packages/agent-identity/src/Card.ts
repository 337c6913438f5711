// The Signature Agent Card (draft-meunier-webbotauth-registry-04 §"Signature Agent
// Card"): a JSON document describing an agent with OAuth client metadata (RFC 7591)
// and a `web_bot_auth` object, resolvable at its `client_id` (GET, 200 only, no
// redirects, `client_id` equal to the URL fetched).
import { Json } from '@paywire/core'
import { z } from 'zod'
import { AgentError } from './internal/AgentError.js'
import * as Fetch from './internal/Fetch.js'
import * as Jwk from './Jwk.js'

const https = z.url({ protocol: /^https$/ })

/** The `web_bot_auth` object (§"Web Bot Auth Extension"); unknown members are ignored. */
export const webBotAuthSchema = z.looseObject({
  'expected-user-agent': z.union([z.string(), z.array(z.string())]).optional(),
  'rfc9309-product-token': z.string().optional(),
  'rfc9309-compliance': z.boolean().optional(),
  trigger: z.enum(['fetcher', 'crawler']).optional(),
  purpose: z.string().optional(),
  'targeted-content': z.string().optional(),
  'rate-control': z.string().optional(),
  'rate-expectation': z.string().optional(),
  'known-urls': z.array(z.string()).optional(),
  ips_uri: https.optional(),
})

/** A Signature Agent Card; unknown parameters are ignored (§"Signature Agent Card"). */
export const schema = z
  .looseObject({
    client_id: https.optional(),
    client_name: z.string().optional(),
    client_uri: z.url().optional(),
    logo_uri: z.url().optional(),
    contacts: z.array(z.string()).optional(),
    jwks_uri: https.optional(),
    jwks: z.object({ keys: z.array(z.unknown()) }).optional(),
    web_bot_auth: webBotAuthSchema.optional(),
  })
  .refine((card) => Object.keys(card).length > 0, 'a card sets at least one parameter')
  .refine(
    (card) => card.jwks === undefined || card.jwks_uri === undefined,
    'a card must not carry both `jwks` and `jwks_uri`',
  )

/** A Signature Agent Card. */
export type Card = z.infer<typeof schema>

/**
 * Builds the card of an agent whose keys are published at `jwksUri`.
 *
 * @throws {InvalidCardError} when the result is not a valid card.
 * @example
 * ```ts
 * import { Card } from '@paywire/agent-identity'
 * const card = Card.from({
 *   clientId: 'https://agent.example/card.json',
 *   name: 'Example Agent',
 *   jwksUri: 'https://agent.example/.well-known/http-message-signatures-directory',
 *   webBotAuth: { trigger: 'fetcher', purpose: 'paid API access' },
 * })
 * ```
 */
export function from(options: from.Options): Card {
  return parse({
    ...(options.clientId === undefined ? {} : { client_id: options.clientId }),
    ...(options.name === undefined ? {} : { client_name: options.name }),
    ...(options.uri === undefined ? {} : { client_uri: options.uri }),
    ...(options.contacts === undefined ? {} : { contacts: options.contacts }),
    ...(options.jwksUri === undefined ? {} : { jwks_uri: options.jwksUri }),
    ...(options.keys === undefined
      ? {}
      : { jwks: { keys: options.keys.map((key) => Jwk.toPublic(key)) } }),
    ...(options.webBotAuth === undefined ? {} : { web_bot_auth: options.webBotAuth }),
  })
}

export declare namespace from {
  type Options = {
    clientId?: string | undefined
    name?: string | undefined
    uri?: string | undefined
    contacts?: string[] | undefined
    /** Where the key directory is served (preferred to inline `keys`). */
    jwksUri?: string | undefined
    /** Signing keys to publish inline, as `jwks`. */
    keys?: readonly Jwk.Private[] | undefined
    webBotAuth?: z.input<typeof webBotAuthSchema> | undefined
  }
}

/**
 * Reads a card. When it was resolved from `url`, its `client_id` must be that URL (simple
 * string comparison, RFC 3986 §6.2.1).
 *
 * @throws {InvalidCardError} when the value is not a card, or not the card of `url`.
 * @example
 * ```ts
 * import { Card } from '@paywire/agent-identity'
 * Card.parse({ client_name: 'Example Agent', jwks_uri: 'https://agent.example/jwks.json' }).client_name
 * ```
 */
export function parse(value: unknown, options: { url?: string } = {}): Card {
  const parsed = schema.safeParse(value)
  if (!parsed.success)
    throw new InvalidCardError(`not a Signature Agent Card: ${parsed.error.issues[0]?.message}`, {
      cause: parsed.error,
    })
  if (options.url !== undefined && parsed.data.client_id !== options.url)
    throw new InvalidCardError(
      `the card's client_id is not the URL it was fetched from (${options.url})`,
    )
  return parsed.data
}

/**
 * Fetches the card at its `client_id` URL within the same bounds as key directories.
 *
 * @throws {InvalidCardError} when the body is not the card of `url`.
 * @example
 * ```ts
 * import { Card } from '@paywire/agent-identity'
 * const card = await Card.fetch('https://agent.example/card.json')
 * ```
 */
export async function fetch(url: string, options: fetch.Options = {}): Promise<Card> {
  const fetched = await Fetch.get(url, {
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    lookup: options.lookup ?? Fetch.systemLookup,
    maxBytes: options.maxBytes ?? 65_536,
    timeoutMs: options.timeoutMs ?? 5_000,
    allowLoopback: options.allowLoopback ?? false,
    accept: 'application/json',
  })
  let value: unknown
  try {
    value = Json.parse(fetched.body, { maxLength: Math.max(fetched.body.length, 1), maxDepth: 16 })
  } catch (cause) {
    throw new InvalidCardError('the card is not JSON', { cause })
  }
  return parse(value, { url })
}

export declare namespace fetch {
  type Options = {
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    lookup?: ((hostname: string) => Promise<readonly string[]>) | undefined
    maxBytes?: number | undefined
    timeoutMs?: number | undefined
    allowLoopback?: boolean | undefined
  }
}

/**
 * Raised when a Signature Agent Card is malformed, carries both `jwks` and `jwks_uri`, or
 * is not the card of the URL it was fetched from.
 *
 * @example
 * ```ts
 * import { Card } from '@paywire/agent-identity'
 * try { Card.parse({}) } catch (error) { if (error instanceof Card.InvalidCardError) console.log(error.code) }
 * ```
 */
export class InvalidCardError extends AgentError {
  override readonly name = 'Card.InvalidCardError'
  readonly code = 'ERR_AGENT_CARD_INVALID'
  readonly slug = 'directory-unavailable'
}
