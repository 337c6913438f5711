// The agent: a paying fetch under a spending policy. At most 30 cents a payment, 50 cents
// an hour per API, one dollar a day in all; anything above 20 cents needs approval.
import { Client, type Policy } from '@paywire/client'
import type { Store } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'

/** Options of {@link create}. */
export type Options = {
  /** Key the test method shares with the API (it moves no money). */
  testKey: string
  /** Where budgets and the ledger live; share it between processes to share the budgets. */
  store: Store.Store
  /** Asked before any payment above 20 cents; resolve `true` to pay. */
  confirm: (question: string) => Promise<boolean>
  /** Local `http://` origins credentials may go to (development only). */
  insecureOrigins?: readonly string[] | undefined
  /** `dry-run` reports what would be paid and pays nothing. */
  mode?: 'pay' | 'dry-run' | undefined
}

/** The spending policy, in cents. */
export const policy = {
  currencies: { usd: { maxAmount: '30' } },
  budgets: [
    { currency: 'usd', amount: '50', window: 'hour', scope: 'origin' },
    { currency: 'usd', amount: '100', window: 'day', scope: 'total' },
  ],
} satisfies Policy.Policy

/** Creates the agent's client. */
export function create(options: Options): Client.Client {
  return Client.create({
    methods: [TestMethod.client({ key: options.testKey, source: 'did:example:agent-budget' })],
    policy: {
      ...policy,
      approve: async ({ quote, budgets }) => {
        if (BigInt(quote.amount) <= 20n) return true
        const left = budgets.map(
          (standing) =>
            `${standing.remaining} left of ${standing.budget.amount} per ${standing.budget.window}`,
        )
        return options.confirm(
          `pay ${quote.amount} ${quote.currency} to ${quote.origin} for "${quote.description ?? quote.url}"? (${left.join(', ')})`,
        )
      },
    },
    store: options.store,
    insecureOrigins: options.insecureOrigins,
    mode: options.mode,
  })
}
