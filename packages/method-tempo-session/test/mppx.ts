// The mppx package (0.11.0) as the other end of a session, set up for the local Tempo
// node: a viem client on viem's Tempo localnet chain with the node's id and RPC URL, as
// mppx's `client`/`getClient` hooks take it.
//
// Two shims, for the node and not for mppx; everything else is mppx's and viem's own code:
// - mppx signs its open transaction on an expiring nonce, and viem 2.57 fills such a nonce
//   with a random value the local node refuses; the chain asks for nonce 0 there, the rule
//   the node implements (spec/DEVIATIONS.md, row 10; as packages/tempo-e2e/src/MppxPeer.ts).
// - the node's gas estimate for a batched transaction leaves out Tempo's state-creation
//   gas (250,000 a new storage slot), so mppx's approve + open, signed with that estimate
//   plus 5,000, runs out of gas in `open`; the chain gives batched transactions at least
//   3,000,000 gas, paywire's own default for an open (spec/DEVIATIONS.md, row 18).
import { createClient, defineChain, http } from 'viem'
import { tempoLocalnet } from 'viem/chains'

/** The gas a batched transaction (approve and an escrow call) is given at least. */
const batchGasFloor = 3_000_000n

/** A viem client for the node, as mppx's `client`/`getClient` hooks take it. */
export function viemClient(options: { rpcUrl: string; chainId: number }) {
  const [prepare, prepareOptions] = tempoLocalnet.prepareTransactionRequest
  const chain = defineChain({
    ...tempoLocalnet,
    id: options.chainId,
    rpcUrls: { default: { http: [options.rpcUrl] } },
    prepareTransactionRequest: [
      async (request, context) => {
        const expiring = (request as { nonceKey?: unknown }).nonceKey === 'expiring'
        if (expiring && request.nonce === undefined) request.nonce = 0
        const prepared = await prepare(request, context)
        const calls = (prepared as { calls?: unknown[] } | undefined)?.calls?.length ?? 0
        if (context.phase === 'afterFillParameters' && calls > 1 && prepared !== undefined) {
          const gas = (prepared as { gas?: bigint }).gas ?? 0n
          if (gas < batchGasFloor) (prepared as { gas?: bigint }).gas = batchGasFloor
        }
        return prepared
      },
      prepareOptions,
    ],
  })
  return createClient({ chain, transport: http(options.rpcUrl, { retryCount: 0 }) })
}
