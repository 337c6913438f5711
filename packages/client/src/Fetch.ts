// A paying client as a plain `fetch` function, for libraries that take one, and the one
// place that replaces `globalThis.fetch`: only when asked, and undoably.
import type { Receipt } from '@paywire/core'
import type * as Client from './Client.js'
import type * as Ledger from './Ledger.js'

/**
 * A function with the signature of `fetch`.
 *
 * @example
 * ```ts
 * import { type Client, Fetch } from '@paywire/client'
 * declare const client: Client.Client
 * const fetch: Fetch.FetchFunction = Fetch.from(client)
 * ```
 */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

const results = new WeakMap<Response, Client.Result>()

/**
 * A `fetch`-compatible function that pays through `client`. It resolves the final
 * `Response`; {@link receipt} and {@link payment} read what was paid for it. Refusals
 * reject like network errors do, with the client's typed error.
 *
 * @example
 * ```ts
 * import { Client, Fetch } from '@paywire/client'
 * declare const client: Client.Client
 * const fetch = Fetch.from(client)
 * const response = await fetch('https://api.example.com/paid')
 * Fetch.receipt(response)?.reference
 * ```
 */
export function from(client: Pick<Client.Client, 'fetch'>): FetchFunction {
  return async (input, init) => {
    const result = await client.fetch(input, init)
    results.set(result.response, result)
    return result.response
  }
}

/**
 * The receipt of a response returned by a function from {@link from}, when it answers a
 * payment with a valid receipt.
 *
 * @example
 * ```ts
 * import { Fetch } from '@paywire/client'
 * declare const response: Response
 * const receipt = Fetch.receipt(response)
 * ```
 */
export function receipt(response: Response): Receipt.Receipt | undefined {
  return results.get(response)?.receipt
}

/**
 * The ledger entry of the last payment made for a response returned by a function from
 * {@link from}.
 *
 * @example
 * ```ts
 * import { Fetch } from '@paywire/client'
 * declare const response: Response
 * Fetch.payment(response)?.amount // '1000'
 * ```
 */
export function payment(response: Response): Ledger.Entry | undefined {
  return results.get(response)?.payment
}

/**
 * Replaces `globalThis.fetch` with a paying fetch, and returns the function that puts the
 * previous one back. Create the client before installing: it captures the `fetch` it
 * sends with when it is created, so it never calls itself.
 *
 * @example
 * ```ts
 * import { Client, Fetch } from '@paywire/client'
 * declare const client: Client.Client
 * const uninstall = Fetch.install(client)
 * try {
 *   await fetch('https://api.example.com/paid')
 * } finally {
 *   uninstall()
 * }
 * ```
 */
export function install(client: Pick<Client.Client, 'fetch'>): () => void {
  const previous = globalThis.fetch
  const paying = from(client)
  globalThis.fetch = paying
  return () => {
    if (globalThis.fetch === paying) globalThis.fetch = previous
  }
}
