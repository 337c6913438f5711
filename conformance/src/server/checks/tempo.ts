// Checks of the Tempo charge (draft-tempo-charge-00 §"Settlement Procedure", §"Transaction
// Verification", §"Hash Verification", §"Receipt Generation", §"Fee Payment"), paid with
// real transactions on the target's chain by the Tempo payer: receipts name the settling
// transaction; a pull transaction paying another recipient or amount is refused before it
// is broadcast; a push hash pays once and only what it paid; supportedModes means what
// it says; fee-sponsored challenges settle at the server's cost and refuse hashes.
import { Challenge, Receipt } from '@paywire/core'
import {
  authorization,
  type Context,
  challenges,
  define,
  expectPaid,
  expectRefusal,
  Failure,
  NotApplicable,
  type Offer,
} from '../Check.js'
import type { Route } from '../Config.js'
import type * as Exchange from '../Exchange.js'
import type { Payment } from '../Payer.js'
import * as TempoPayer from '../TempoPayer.js'

/** The checks of the Tempo charge. */
export const checks = [
  define({
    id: 'server.tempo.receipt',
    title:
      'a Tempo payment gets a receipt whose reference is a successful transaction paying the request',
    level: 'MUST',
    requirements: ['tempo.charge.receipt.return'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'receipt'],
    async run(context) {
      const found = await tempoOffer(context, context.routes.paid)
      const payment = await found.payer.pay(found.challenge)
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(found.challenge, payment),
      })
      expectPaid(exchange, 'a Tempo payment')
      const value = exchange.headers.get(Receipt.headerName)
      if (value === null) throw new Failure('the settled payment has no Payment-Receipt', exchange)
      let receipt: Receipt.Receipt
      try {
        receipt = Receipt.deserialize(value)
      } catch (error) {
        throw new Failure(`the receipt does not decode: ${(error as Error).message}`, exchange)
      }
      if (receipt.method !== 'tempo')
        throw new Failure(`the receipt names method "${receipt.method}"`, exchange)
      const hash = (payment.payload as { hash?: string }).hash
      if (hash !== undefined && receipt.reference.toLowerCase() !== hash.toLowerCase())
        throw new Failure(
          `the receipt's reference ${receipt.reference} is not the paid hash ${hash}`,
          exchange,
        )
      await expectSettled(found, receipt.reference, exchange)
      const externalId = found.request.externalId
      if (typeof externalId === 'string' && receipt.externalId !== externalId)
        throw new Failure(`the receipt does not echo externalId "${externalId}"`, exchange)
      return { message: `settled by ${receipt.reference} (${paidMode(payment)})` }
    },
  }),
  ...(['recipient', 'amount'] as const).map((field) =>
    define({
      id: `server.tempo.pull.wrong-${field}`,
      title: `a pull transaction paying another ${field} than the challenge asks is refused, and never broadcast`,
      level: 'MUST',
      requirements: [
        'tempo.charge.pull.verify-before-broadcast',
        'tempo.charge.receipt.not-on-error',
        field === 'recipient' ? 'charge.verify.recipient' : 'charge.verify.amount',
      ],
      needs: ['payment:tempo'],
      tags: ['tempo', 'pull', 'binding'],
      async run(context: Context) {
        const found = await tempoOffer(context, context.routes.paid)
        if (!modesOf(found.request).includes('pull'))
          throw new NotApplicable('the Tempo challenge does not accept pull mode')
        const { chain, address } = await found.payer.connect()
        const request =
          field === 'recipient' ? { ...found.request, recipient: address } : lower(found.request)
        const payment = await found.payer.payWith({
          challenge: found.challenge,
          request,
          mode: 'pull',
        })
        const nonce = await chain.getNonce(address)
        const exchange = await context.request(context.routes.paid, {
          authorization: authorization(found.challenge, payment),
        })
        expectRefusal(exchange, `a transaction paying another ${field}`, {
          problems: ['verification-failed'],
        })
        expectNoReceipt(exchange)
        const after = await chain.getNonce(address)
        if (after !== nonce)
          throw new Failure(
            `the target broadcast the mismatching transaction before refusing it (payer nonce ${nonce} → ${after})`,
            exchange,
          )
        return undefined
      },
    }),
  ),
  define({
    id: 'server.tempo.push.replay',
    title: 'the hash of a transaction that paid one challenge is refused for a new challenge',
    level: 'MUST',
    requirements: [
      'tempo.charge.receipt.not-on-error',
      'charge.replay.reject',
      'charge.replay.protection',
      'core.replay.reject-reuse',
    ],
    needs: ['payment:tempo'],
    tags: ['tempo', 'push', 'replay'],
    async run(context) {
      const found = await tempoOffer(context, context.routes.paid)
      if (!modesOf(found.request).includes('push'))
        throw new NotApplicable('the Tempo challenge does not accept push mode')
      const payment = await found.payer.payWith({ challenge: found.challenge, mode: 'push' })
      expectPaid(
        await context.request(context.routes.paid, {
          authorization: authorization(found.challenge, payment),
        }),
        'the first use of a push payment',
      )
      const fresh = await tempoOffer(context, context.routes.paid)
      const replay = await context.request(context.routes.paid, {
        authorization: authorization(fresh.challenge, payment),
      })
      expectRefusal(replay, 'a transaction hash that already paid', {
        problems: ['verification-failed', 'invalid-challenge'],
      })
      expectNoReceipt(replay)
      return undefined
    },
  }),
  define({
    id: 'server.tempo.push.wrong-recipient',
    title: 'the hash of a successful transaction that paid another recipient is refused',
    level: 'MUST',
    requirements: [
      'tempo.charge.hash.verify-receipt',
      'tempo.charge.receipt.not-on-error',
      'charge.verify.recipient',
    ],
    needs: ['payment:tempo'],
    tags: ['tempo', 'push', 'binding'],
    async run(context) {
      const found = await tempoOffer(context, context.routes.paid)
      if (!modesOf(found.request).includes('push'))
        throw new NotApplicable('the Tempo challenge does not accept push mode')
      const { address } = await found.payer.connect()
      const payment = await found.payer.payWith({
        challenge: found.challenge,
        request: { ...found.request, recipient: address },
        mode: 'push',
      })
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(found.challenge, payment),
      })
      expectRefusal(exchange, 'a hash paying another recipient', {
        problems: ['verification-failed'],
      })
      expectNoReceipt(exchange)
      return undefined
    },
  }),
  define({
    id: 'server.tempo.modes.omitted',
    title:
      'a Tempo challenge without supportedModes accepts both a pull and a push payment; a supportedModes member is never empty',
    level: 'MUST',
    requirements: ['tempo.charge.modes.omit-only-when-both', 'tempo.charge.modes.non-empty'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'modes'],
    async run(context) {
      const found = await tempoOffer(context, context.routes.paid)
      const listed = advertised(found.request)
      if (listed !== undefined) {
        if (!listed.some((mode) => mode === 'pull' || mode === 'push'))
          throw new Failure(
            `supportedModes lists no mode: ${JSON.stringify(listed)}`,
            found.exchange,
          )
        return { message: `supportedModes is present (${listed.join(', ')})` }
      }
      if (feePayer(found.request))
        throw new NotApplicable('a fee-sponsored challenge accepts pull only')
      for (const mode of ['pull', 'push'] as const) {
        const offered = mode === 'pull' ? found : await tempoOffer(context, context.routes.paid)
        const payment = await offered.payer.payWith({ challenge: offered.challenge, mode })
        expectPaid(
          await context.request(context.routes.paid, {
            authorization: authorization(offered.challenge, payment),
          }),
          `a ${mode} payment for a challenge without supportedModes`,
        )
      }
      return { message: 'supportedModes omitted: pull and push both settled' }
    },
  }),
  define({
    id: 'server.tempo.modes.unadvertised',
    title: 'a payment in a mode that supportedModes does not list is refused',
    level: 'MUST',
    requirements: [
      'tempo.charge.hash.reject-unadvertised',
      'tempo.charge.hash.verify-push-mode',
      'tempo.charge.pull.verify-before-broadcast',
      'tempo.charge.receipt.not-on-error',
    ],
    needs: ['payment:tempo'],
    tags: ['tempo', 'modes'],
    async run(context) {
      for (const route of tempoRoutes(context)) {
        const found = await tempoOffer(context, route)
        const listed = advertised(found.request)
        if (listed === undefined || listed.length !== 1) continue
        const mode = listed[0] === 'pull' ? 'push' : 'pull'
        const payment = await found.payer.payWith({
          challenge: found.challenge,
          request: unrestricted(found.request),
          mode,
        })
        const exchange = await context.request(route, {
          authorization: authorization(found.challenge, payment),
        })
        expectRefusal(exchange, `a ${mode} payment where supportedModes is [${listed}]`, {
          problems: ['verification-failed', 'method-unsupported', 'malformed-credential'],
          status: [402, 400],
        })
        expectNoReceipt(exchange)
        return { message: `${mode} refused on ${route.path} (supportedModes: ${listed})` }
      }
      throw new NotApplicable('no configured route offers a Tempo challenge listing one mode')
    },
  }),
  define({
    id: 'server.tempo.sponsored.settles',
    title:
      'a fee-sponsored challenge lists pull only, and its payment settles with the payer charged the amount and no fee',
    level: 'MUST',
    requirements: ['tempo.charge.modes.include-explicitly', 'tempo.charge.fee.server-balance'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'fee-payer'],
    async run(context) {
      const { found, route } = await sponsoredOffer(context)
      const listed = advertised(found.request)
      if (listed?.length !== 1 || listed[0] !== 'pull')
        throw new Failure(
          `a fee-sponsored challenge (no hash allowed) must list supportedModes ["pull"], found ${JSON.stringify(listed)}`,
          found.exchange,
        )
      const { chain, address } = await found.payer.connect()
      const currency = String(found.request.currency)
      const before = await chain.getTokenBalance(currency, address)
      const payment = await found.payer.pay(found.challenge)
      const exchange = await context.request(route, {
        authorization: authorization(found.challenge, payment),
      })
      expectPaid(exchange, 'a fee-sponsored payment')
      const spent = before - (await chain.getTokenBalance(currency, address))
      const amount = BigInt(String(found.request.amount))
      if (spent !== amount)
        throw new Failure(
          `the payer spent ${spent} base units of ${currency} for a sponsored charge of ${amount}: fees were not paid by the server`,
          exchange,
        )
      return { message: `settled on ${route.path}, the payer charged ${amount} exactly` }
    },
  }),
  define({
    id: 'server.tempo.sponsored.hash-refused',
    title: 'a hash credential for a fee-sponsored challenge is refused',
    level: 'MUST',
    requirements: ['tempo.charge.hash.reject-fee-payer', 'tempo.charge.receipt.not-on-error'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'fee-payer', 'push'],
    async run(context) {
      const { found, route } = await sponsoredOffer(context)
      // The payer pays its own fees and broadcasts: a hash no sponsored challenge accepts.
      const payment = await found.payer.payWith({
        challenge: found.challenge,
        request: unrestricted(found.request),
        mode: 'push',
      })
      const exchange = await context.request(route, {
        authorization: authorization(found.challenge, payment),
      })
      expectRefusal(exchange, 'a hash credential for a fee-sponsored challenge', {
        problems: ['verification-failed', 'method-unsupported', 'malformed-credential'],
        status: [402, 400],
      })
      expectNoReceipt(exchange)
      return undefined
    },
  }),
]

/** A fresh Tempo charge challenge, the Tempo payer and the decoded request. */
type TempoOffer = Offer & { payer: TempoPayer.TempoPayer; request: Record<string, unknown> }

/** @internal */
export async function tempoOffer(context: Context, route: Route): Promise<TempoOffer> {
  const payer = context.payers.find(TempoPayer.is)
  if (payer === undefined) throw new NotApplicable('the suite has no Tempo payer')
  const { exchange, challenges: offered } = await challenges(context, route)
  const challenge = offered.find((entry) => entry.method === 'tempo' && entry.intent === 'charge')
  if (challenge === undefined)
    throw new Failure(`${route.method} ${route.path} offers no Tempo charge challenge`, exchange)
  return { exchange, challenge, payer, request: Challenge.decodeRequest(challenge) }
}

/** The sponsored route (routes.sponsored, else routes.paid when its challenge has a fee payer). */
/** @internal */
export async function sponsoredOffer(
  context: Context,
): Promise<{ found: TempoOffer; route: Route }> {
  const configured = context.config.routes.sponsored
  const route: Route =
    configured === undefined
      ? context.routes.paid
      : { method: 'GET', path: new URL(configured, context.url).pathname }
  const found = await tempoOffer(context, route)
  if (!feePayer(found.request)) {
    if (configured === undefined)
      throw new NotApplicable(
        'the paid route offers no fee-sponsored Tempo challenge; set routes.sponsored to one that does',
      )
    throw new Failure(
      `routes.sponsored (${route.path}) offers a Tempo challenge without methodDetails.feePayer: true`,
      found.exchange,
    )
  }
  return { found, route }
}

/** The GET routes to look for Tempo challenges on. */
function tempoRoutes(context: Context): Route[] {
  const sponsored = context.config.routes.sponsored
  return [
    context.routes.paid,
    ...(sponsored === undefined
      ? []
      : [{ method: 'GET', path: new URL(sponsored, context.url).pathname }]),
  ]
}

function details(request: Record<string, unknown>): Record<string, unknown> {
  const value = request.methodDetails
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** @internal */
export function feePayer(request: Record<string, unknown>): boolean {
  return details(request).feePayer === true
}

/** `supportedModes` as the challenge lists it, or undefined when absent. */
/** @internal */
export function advertised(request: Record<string, unknown>): string[] | undefined {
  const value = details(request).supportedModes
  return Array.isArray(value) ? value.map(String) : undefined
}

/** The modes a client may use (draft: a fee payer forbids hash credentials). */
/** @internal */
export function modesOf(request: Record<string, unknown>): string[] {
  const listed = advertised(request) ?? ['pull', 'push']
  return feePayer(request) ? listed.filter((mode) => mode === 'pull') : listed
}

/** The request without what restricts the client's mode: for paying in a forbidden one. */
/** @internal */
export function unrestricted(request: Record<string, unknown>): Record<string, unknown> {
  const { supportedModes: _modes, feePayer: _feePayer, ...rest } = details(request)
  return { ...request, methodDetails: rest }
}

/** The request with a lower amount (one base unit less; one more when it is 1). */
function lower(request: Record<string, unknown>): Record<string, unknown> {
  const amount = BigInt(String(request.amount))
  return { ...request, amount: (amount > 1n ? amount - 1n : amount + 1n).toString() }
}

function paidMode(payment: Payment): string {
  return (payment.payload as { type?: string }).type === 'hash' ? 'push' : 'pull'
}

/** @internal */
export function expectNoReceipt(exchange: Exchange.Exchange): void {
  if (exchange.headers.get(Receipt.headerName) !== null)
    throw new Failure('the refusal carries a Payment-Receipt', exchange)
}

/** Fails unless `reference` is a successful transaction making the transfers asked. */
async function expectSettled(
  found: TempoOffer,
  reference: string,
  exchange: Exchange.Exchange,
): Promise<void> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(reference))
    throw new Failure(`the receipt's reference "${reference}" is not a transaction hash`, exchange)
  const tempo = await import('@paywire/method-tempo')
  const { chain } = await found.payer.connect()
  const onChain = await chain.getTransactionReceipt(reference as `0x${string}`)
  if (onChain?.status !== 'success')
    throw new Failure(
      `the receipt's reference ${reference} is not a successful transaction on the chain`,
      exchange,
    )
  const request = tempo.ChargeRequest.schema.parse(found.request)
  const movements = tempo.Transfer.fromLogs(onChain.logs, request.currency)
  const { missing } = tempo.Transfer.match(tempo.ChargeRequest.transfers(request), movements)
  const first = missing[0]
  if (first !== undefined)
    throw new Failure(
      `transaction ${reference} does not pay ${first.amount} to ${first.recipient}`,
      exchange,
    )
}
