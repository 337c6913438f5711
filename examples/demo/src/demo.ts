// The main job: a paid API and a paying agent on this machine, over real HTTP, settling
// real stablecoin payments on a local Tempo node.
//
// 1. Boot a local Tempo node (anvil in Tempo mode) and fund an agent's wallet.
// 2. Start a paid weather API with @paywire/server: each report costs 0.01 pathUSD, paid
//    with the tempo charge method; the API sponsors the transaction fee.
// 3. Run an agent with @paywire/client under a spending policy (at most 0.02 per payment,
//    0.03 per day): it buys three reports, then the policy refuses the fourth.
// 4. The same API sells a forecast for $0.50 by card through Stripe (a shared payment
//    token, on the local Stripe-compatible API); the agent buys one.
// 5. Print each challenge, payment and receipt, and the balances before and after.
import { createServer } from 'node:http'
import { Client, Policy } from '@paywire/client'
import { Challenge, Credential, type Receipt, Secret } from '@paywire/core'
import {
  IssuedTokens,
  Client as StripeClient,
  Server as StripeServerMethod,
} from '@paywire/method-stripe'
import {
  Chain,
  FeePayer,
  Client as TempoClient,
  Server as TempoServer,
} from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { toRequest, writeResponse } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, StripeServer, TempoNode } from '@paywire/testkit'
import Stripe from 'stripe'

/** One step of the demo's story: a title and what it shows. */
export type Step = { title: string; lines: string[] }

/** What the demo did, for its caller (and its test) to check. */
export type Outcome = {
  steps: Step[]
  /** Receipts of the paid requests, in order. */
  receipts: Receipt.Receipt[]
  /** The rule that refused the fourth report. */
  refusedBy: string | undefined
  /** The receipt of the forecast paid by card, and the PaymentIntents Stripe holds. */
  card: { receipt: Receipt.Receipt | undefined; paymentIntents: number }
  /** Base units of pathUSD moved from the agent to the API. */
  paid: bigint
  balances: { agentBefore: bigint; agentAfter: bigint; apiBefore: bigint; apiAfter: bigint }
}

const price = 10_000n // 0.01 pathUSD (6 decimals)

/** Runs the demo and returns what happened. Everything it starts, it stops. */
export async function run(options: { log?: (step: Step) => void } = {}): Promise<Outcome> {
  const steps: Step[] = []
  const record = (step: Step) => {
    steps.push(step)
    options.log?.(step)
  }
  const node = await TempoNode.start()
  const stops: Array<() => Promise<void>> = [() => node.stop()]
  try {
    const stripeApi = await StripeServer.start()
    stops.unshift(() => stripeApi.close())
    const stripeFor = (account: StripeServer.Account) =>
      new Stripe(account.secretKey, { ...stripeApi.sdk, maxNetworkRetries: 0, telemetry: false })
    const chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
    const agent = await node.newAccount(1_000_000n) // 1 pathUSD
    const api = await node.newAccount(0n)
    const sponsor = node.accounts[1] as TempoNode.Account
    record({
      title: 'Local Tempo node',
      lines: [
        `rpc ${node.rpcUrl}, chain id ${node.chainId}`,
        `agent wallet ${agent.address}`,
        `api wallet   ${api.address} (fees sponsored by ${sponsor.address})`,
        `local Stripe API ${stripeApi.url}`,
      ],
    })

    // The paid API.
    const paywire = Paywire.create({
      realm: '127.0.0.1',
      secret: Secret.generate(),
      store: MemoryStore.create(),
      methods: [
        TempoServer.server({
          chain,
          recipient: api.address,
          feePayer: FeePayer.from({
            privateKey: sponsor.privateKey,
            maxFeePerPayment: 50_000n,
            budget: 1_000_000n,
          }),
        }),
        StripeServerMethod.server({
          stripe: stripeFor(StripeServer.seller),
          networkId: StripeServer.seller.networkId,
          paymentMethodTypes: ['card'],
        }),
      ],
    })
    const weather = paywire.protect(
      {
        price: { amount: String(price), feePayer: true },
        methods: ['tempo'],
        description: 'Weather report',
      },
      async () => Response.json({ city: 'Lisbon', sky: 'clear', celsius: 19 }),
    )
    const forecast = paywire.protect(
      { price: { amount: '50', currency: 'usd' }, methods: ['stripe'], description: 'Forecast' },
      async () => Response.json({ city: 'Lisbon', days: ['sun', 'sun', 'rain'] }),
    )
    const server = createServer((req, res) => {
      void (async () => {
        const route = req.url?.startsWith('/weather')
          ? weather
          : req.url?.startsWith('/forecast')
            ? forecast
            : undefined
        const response = route
          ? await route(toRequest(req))
          : new Response('not found', { status: 404 })
        await writeResponse(res, response)
      })().catch(() => {
        res.statusCode = 500
        res.end()
      })
    })
    const listening = await FreePort.listen(server)
    stops.unshift(() => listening.close())
    const origin = `http://127.0.0.1:${listening.port}`
    record({
      title: 'Paid API',
      lines: [
        `GET ${origin}/weather costs ${format(price)} pathUSD (tempo)`,
        `GET ${origin}/forecast costs $0.50 (stripe, card)`,
      ],
    })

    // The agent: a paying fetch under a spending policy. Its fetch is wrapped only to show
    // the exchange; the client itself never logs credentials.
    const shown = (input: RequestInfo | URL, init?: RequestInit) => show(input, init, record)
    const agentClient = Client.create({
      methods: [
        TempoClient.client({ chain, privateKey: agent.privateKey }),
        StripeClient.client({
          provider: IssuedTokens.provider({
            stripe: stripeFor(StripeServer.agent),
            paymentMethod: 'pm_card_visa',
          }),
          paymentMethodTypes: ['card'],
        }),
      ],
      policy: {
        currencies: {
          [TempoNode.pathUsd]: { maxAmount: String(2n * price) },
          usd: { maxAmount: '100' },
        },
        budgets: [
          {
            currency: TempoNode.pathUsd,
            amount: String(3n * price),
            window: 'day',
            scope: 'total',
          },
          { currency: 'usd', amount: '500', window: 'day', scope: 'total' },
        ],
      },
      store: MemoryStore.create(),
      insecureOrigins: [origin],
      fetch: shown,
    })

    const before = {
      agent: await node.balanceOf(agent.address),
      api: await node.balanceOf(api.address),
    }
    const receipts: Receipt.Receipt[] = []
    let refusedBy: string | undefined
    for (let request = 1; request <= 4; request++) {
      try {
        const { response, receipt } = await agentClient.fetch(`${origin}/weather`)
        const body = await response.text()
        if (receipt) receipts.push(receipt)
        record({
          title: `Request ${request}: ${response.status}`,
          lines: [`body ${body}`, receipt ? `receipt ${JSON.stringify(receipt)}` : 'no receipt'],
        })
      } catch (error) {
        if (!(error instanceof Policy.RefusedError)) throw error
        refusedBy = error.rule
        record({
          title: `Request ${request}: refused by the agent's policy`,
          lines: [error.message],
        })
      }
    }
    const byCard = await agentClient.fetch(`${origin}/forecast`)
    record({
      title: `Forecast by card: ${byCard.response.status}`,
      lines: [
        `body ${await byCard.response.text()}`,
        byCard.receipt ? `receipt ${JSON.stringify(byCard.receipt)}` : 'no receipt',
        `PaymentIntents on the local Stripe API: ${stripeApi
          .paymentIntents()
          .map((intent) => `${intent.id} ${intent.amount} ${intent.currency} ${intent.status}`)
          .join(', ')}`,
      ],
    })
    const after = {
      agent: await node.balanceOf(agent.address),
      api: await node.balanceOf(api.address),
    }
    record({
      title: 'Balances (pathUSD)',
      lines: [
        `agent ${format(before.agent)} -> ${format(after.agent)}`,
        `api   ${format(before.api)} -> ${format(after.api)}`,
      ],
    })
    return {
      steps,
      receipts,
      refusedBy,
      card: { receipt: byCard.receipt, paymentIntents: stripeApi.paymentIntents().length },
      paid: after.api - before.api,
      balances: {
        agentBefore: before.agent,
        agentAfter: after.agent,
        apiBefore: before.api,
        apiAfter: after.api,
      },
    }
  } finally {
    for (const stop of stops) await stop()
  }
}

/** Sends a request and records the 402 challenges and credentials that pass by. */
async function show(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  record: (step: Step) => void,
) {
  const headers = new Headers(init?.headers)
  const authorization = headers.get('authorization')
  if (authorization) {
    const credential = Credential.fromAuthorization(authorization)
    record({
      title: 'Agent pays and retries',
      lines: [
        `Authorization: Payment ${authorization.slice(8, 48)}… (${authorization.length} chars)`,
        `${credential?.challenge.method} payload with ${Object.keys(credential?.payload ?? {}).join(', ')}; source ${credential?.source ?? '-'}`,
      ],
    })
  }
  const response = await fetch(input, init)
  if (response.status === 402) {
    const header = response.headers.get('www-authenticate') ?? ''
    const lines = [`WWW-Authenticate: ${header.slice(0, 100)}…`]
    for (const challenge of Challenge.deserializeList(header))
      lines.push(
        `${challenge.method}/${challenge.intent} request ${JSON.stringify(Challenge.decodeRequest(challenge))}`,
      )
    record({ title: '402 Payment Required', lines })
  }
  return response
}

function format(units: bigint): string {
  const sign = units < 0n ? '-' : ''
  const abs = units < 0n ? -units : units
  return `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, '0')}`
}
