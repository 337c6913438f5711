// `pnpm start`: boots a local Tempo node, serves the paid API on port 8787 (PORT to
// change it) and prints how to pay it, until Ctrl-C.
import { TempoNode } from '@paywire/testkit'
import { create, listen } from './api.js'

const testKey = 'example-test-key'
const node = await TempoNode.start()
const recipient = await node.newAccount(0n)
const payer = await node.newAccount(1_000_000n)
const app = create({
  testKey,
  tempo: { rpcUrl: node.rpcUrl, chainId: node.chainId, recipient: recipient.address },
})
const { url, close } = await listen(app, Number(process.env.PORT ?? 8787))
console.log(`paid API on ${url} (Hono)
  free:  curl ${url}/
  402:   curl -i ${url}/weather?city=Paris
  pay with the test method (moves no money):
    paywire ${url}/weather?city=Paris --test-key ${testKey} --max-amount 1:usd --yes
  pay 0.01 pathUSD on the local Tempo node (${node.rpcUrl}, chain ${node.chainId}):
    payer key ${payer.privateKey} (holds 1 pathUSD); the API is paid at ${recipient.address}
Ctrl-C to stop.`)
const stop = async () => {
  await close()
  await node.stop()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
