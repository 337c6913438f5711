// What the paying client lends a method that commits money outside a 402 answer (a
// session top-up, draft-tempo-session §"TopUp Payload"): the same policy terms, budget
// reservation, approval hook and ledger as a credential the client builds itself.
import type { Method, Store } from '@paywire/core'
import * as Budget from '../Budget.js'
import * as Challenges from '../Challenges.js'
import type * as Ledger from '../Ledger.js'
import * as Policy from '../Policy.js'
import type * as Quote from '../Quote.js'

/**
 * @internal The spending of one paying client for one of its methods: reserve, sign (or
 * release), commit and record, send, settle.
 */
export function from(options: from.Options): Method.Spending {
  const { method, policy, store, ledger, insecureOrigins, now, prefix } = options
  return {
    async spend({ challenge, url, amount }, { sign, send }) {
      const target = new URL(url)
      if (challenge.method !== method.method || challenge.intent !== method.intent)
        throw new Policy.RefusedError(
          'unsupported',
          `a ${challenge.method}/${challenge.intent} commitment handed to the ${method.method}/${method.intent} method`,
        )
      if (target.protocol !== 'https:' && !insecureOrigins.includes(target.origin))
        throw new Policy.RefusedError(
          'transport',
          `credentials are sent only over https, not to ${target.origin}`,
        )
      const { quote } = Challenges.read({ challenge, method, q: 1 }, target, amount)
      Policy.checkTerms(policy, quote)
      const id = crypto.randomUUID()
      const budget = { budgets: policy.budgets, quote, now: now(), prefix }
      const { reservation, budgets } = await Budget.reserve(store, { ...budget, id })
      let signed: Awaited<ReturnType<typeof sign>>
      try {
        await approve(policy, quote, budgets)
        signed = await sign()
      } catch (error) {
        // Nothing was signed: the reservation goes back.
        if (reservation !== undefined) await Budget.release(store, reservation)
        throw error
      }
      // Signed: from here the amount counts as spent, whatever the server says.
      if (reservation !== undefined) await Budget.commit(store, reservation)
      await ledger.record({
        id,
        at: new Date(now()).toISOString(),
        ...fields(quote),
        status: 'sent',
      })
      let receipt: Awaited<ReturnType<typeof send>>
      try {
        receipt = await send(signed)
      } catch (error) {
        const reason = error instanceof Error ? error.name : 'an error'
        await ledger.settle(id, { status: 'unconfirmed', note: `the commitment failed: ${reason}` })
        throw error
      }
      await ledger.settle(id, { status: 'settled', receipt })
      return receipt
    },
  }
}

export declare namespace from {
  type Options = {
    method: Method.Client
    policy: Policy.from.ReturnType
    store: Store.Store
    ledger: Ledger.Ledger
    insecureOrigins: readonly string[]
    now: () => number
    prefix: string
  }
}

/** @internal Asks the approval hook, when there is one; a throw or anything but `true` refuses. */
export async function approve(
  policy: Policy.from.ReturnType,
  quote: Quote.Quote,
  budgets: Policy.Standing[],
): Promise<void> {
  if (policy.approve === undefined) return
  let approved: boolean
  try {
    approved = await policy.approve({ quote, budgets })
  } catch (cause) {
    throw new Policy.RefusedError('approval', 'the approval hook failed', { quote, cause })
  }
  if (approved !== true)
    throw new Policy.RefusedError('approval', 'the approval hook declined', { quote })
}

/** @internal The ledger fields of a quote. */
export function fields(quote: Quote.Quote): Omit<Ledger.Entry, 'id' | 'at' | 'status'> {
  return {
    url: quote.url,
    origin: quote.origin,
    challengeId: quote.challengeId,
    realm: quote.realm,
    method: quote.method,
    intent: quote.intent,
    amount: quote.amount,
    currency: quote.currency,
    ...(quote.recipient === undefined ? {} : { recipient: quote.recipient }),
    ...(quote.description === undefined ? {} : { description: quote.description }),
  }
}
