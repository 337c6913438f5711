// `pnpm start`: a local Tempo node with the escrow, the streaming API, and an agent that
// asks it two questions under a cap of 0.08, then closes its channel and reclaims the rest.
import * as Agent from './agent.js'
import * as Api from './api.js'
import { alphaUsd, start } from './chain.js'

const local = await start()
try {
  const { node, escrow, seller } = local
  const api = await Api.serve(
    {
      publicClient: node.client,
      seller: local.wallet(seller.privateKey),
      escrow,
      currency: alphaUsd,
    },
    Number(process.env.PORT ?? 0),
  )
  console.log(`streaming API on ${api.url}/generate?prompt=…&max=… (node ${node.rpcUrl})`)
  const wallet = await local.newAgent(1_000_000n)
  const agent = Agent.create({
    privateKey: wallet.privateKey,
    publicClient: node.client,
    chainId: node.chainId,
    escrow,
    currency: alphaUsd,
    pricePerToken: Api.pricePerToken,
    maxOpen: 50_000n,
    maxDeposit: 80_000n,
    topUp: 10_000n,
    ahead: 5_000n,
    insecureOrigins: [api.url],
  })
  const paid = (amount: bigint) => `${(Number(amount) / 1e6).toFixed(4)}`
  let last: Agent.Answer | undefined
  for (const [prompt, max] of [
    ['why is the sky blue', 300],
    ['tell me a story', 250],
  ] as const) {
    const url = `${api.url}/generate?prompt=${encodeURIComponent(prompt)}&max=${max}`
    last = await agent.ask(url)
    console.log(
      `"${prompt}": ${last.tokens.length} of ${max} tokens (${last.stopped}), ${last.starvations} vouchers, channel spent ${paid(last.spent)}`,
    )
  }
  if (last !== undefined) {
    const before = await node.balanceOf(wallet.address, alphaUsd)
    const closed = await agent.finish(`${api.url}/generate`, last.channelId, last.spent)
    const back = (await node.balanceOf(wallet.address, alphaUsd)) - before
    console.log(
      `closed (${closed.txHash}): seller captured ${paid(last.spent)}, agent reclaimed ${paid(back)}`,
    )
  }
  await api.close()
} finally {
  await local.node.stop()
}
