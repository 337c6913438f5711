// The agent: asks the streaming API for answers, paying per token through one Tempo
// session. `@paywire/client` opens the channel on the first 402 (the deposit is what its
// spending policy and budgets count); the session client answers each
// `payment-need-voucher` of a stream with a voucher a little ahead, topping up within its
// `maxDeposit` (each top-up counted in the same budget as the deposit); `finish` closes the
// channel for what was served and reclaims the rest.
import { Client } from '@paywire/client'
import type { Store } from '@paywire/core'
import { Client as SessionClient } from '@paywire/method-tempo-session'
import { MemoryStore } from '@paywire/store-memory'
import type { Address, Hex, PublicClient } from 'viem'

export type Options = {
  privateKey: Hex
  publicClient: PublicClient
  chainId: number
  escrow: Address
  currency: Address
  /** Most this agent commits at once: an open's deposit or a top-up (the policy's per-payment cap). */
  maxOpen: bigint
  /** Most this agent ever locks in the channel, top-ups included: its hard cap. */
  maxDeposit: bigint
  /** Added by each top-up. */
  topUp: bigint
  /** The price of one token the API advertises (the challenge's `amount`). */
  pricePerToken: bigint
  /** Amount paid ahead with each voucher, so a stream is not starved at every token. */
  ahead: bigint
  /** Where the agent keeps its channel and budgets (default: in memory). */
  store?: Store.Store | undefined
  /** Origins allowed over plain HTTP (local tests only). */
  insecureOrigins?: string[] | undefined
}

/** One streamed answer, as the agent got it. */
export type Answer = {
  tokens: string[]
  channelId: Hex
  /** What the channel has been charged in all, after this answer (base units). */
  spent: bigint
  /** How many times the stream paused for a voucher. */
  starvations: number
  /** `budget` when the agent stopped paying because its cap was reached. */
  stopped: 'end' | 'budget'
  /** The stream's final `payment-receipt` event, when it was read to the end. */
  receipt: Record<string, unknown> | undefined
}

export function create(options: Options) {
  const store = options.store ?? MemoryStore.create()
  const session = SessionClient.client({
    privateKey: options.privateKey,
    client: options.publicClient,
    chainId: options.chainId,
    escrow: options.escrow,
    currency: options.currency,
    store,
    maxDeposit: options.maxDeposit,
    topUp: options.topUp,
  })
  const client = Client.create({
    methods: [session],
    policy: {
      currencies: { [options.currency]: { maxAmount: options.maxOpen.toString() } },
      // Deposits and top-ups count alike: a day's budget of what may be locked in all.
      budgets: [
        {
          currency: options.currency,
          amount: options.maxDeposit.toString(),
          window: 'day',
          scope: 'total',
        },
      ],
    },
    store,
    insecureOrigins: options.insecureOrigins,
  })

  /** Streams one answer, paying for its tokens until it ends or the cap is reached. */
  async function ask(url: string): Promise<Answer> {
    const { response, receipt } = await client.fetch(url)
    if (response.status !== 200 || receipt === undefined || response.body === null)
      throw new Error(`the API answered ${response.status}`)
    const channelId = receipt.reference as Hex
    // The channel's total before this answer; each token adds its price as it is sent.
    const before = BigInt(String(receipt.spent ?? '0'))
    const spent = () => before + BigInt(tokens.length) * options.pricePerToken
    const tokens: string[] = []
    let starvations = 0
    let final: Record<string, unknown> | undefined
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const { event, data } = parseEvent(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
        if (event === 'message') tokens.push(data)
        else if (event === 'payment-receipt') final = JSON.parse(data)
        else if (event === 'payment-need-voucher') {
          starvations += 1
          const need = JSON.parse(data) as {
            channelId: string
            requiredCumulative: string
            deposit: string
          }
          const required = BigInt(need.requiredCumulative)
          if (required > options.maxDeposit) {
            // The cap is reached: stop paying and hang up.
            await reader.cancel()
            return {
              tokens,
              channelId,
              spent: spent(),
              starvations,
              stopped: 'budget',
              receipt: undefined,
            }
          }
          const room = options.maxDeposit - required
          await session.pay({ url, need, ahead: room < options.ahead ? room : options.ahead })
        }
      }
    }
    return { tokens, channelId, spent: spent(), starvations, stopped: 'end', receipt: final }
  }

  return {
    client,
    session,
    ask,
    /** Closes the channel for `spent` (what was served) and reclaims the rest of the deposit. */
    finish: (url: string, channelId: Hex, spent: bigint) =>
      session.close({ url, channelId, cumulativeAmount: spent }),
  }
}

/** One SSE event block: its `event:` name (default `message`) and its `data:` lines. */
export function parseEvent(block: string): { event: string; data: string } {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
  }
  return { event, data: data.join('\n') }
}
