// `pnpm dev:chain`: starts a local Tempo node and prints, as the first line of stdout, one
// JSON object `{ rpcUrl, chainId, accounts: [{ address, privateKey }] }` that scripts can
// read; then runs until SIGINT or SIGTERM, which stop the node.
import { fileURLToPath } from 'node:url'
import * as TempoNode from './TempoNode.js'

/**
 * Starts the node, prints its description, and resolves once a stop signal has stopped it.
 *
 * @example
 * ```ts
 * import { devChain } from '@paywire/testkit'
 * await devChain.run()
 * ```
 */
export async function run(options: run.Options = {}): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const node = await TempoNode.start()
  write(JSON.stringify(describe(node)))
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      node.stop().then(resolve, resolve)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

export declare namespace run {
  type Options = {
    /** Where the description line goes; default stdout. */
    write?: ((line: string) => void) | undefined
  }
}

/**
 * The description `dev:chain` prints for a node.
 *
 * @example
 * ```ts
 * import { devChain, TempoNode } from '@paywire/testkit'
 * const node = await TempoNode.start()
 * console.log(JSON.stringify(devChain.describe(node)))
 * await node.stop()
 * ```
 */
export function describe(node: TempoNode.TempoNode): describe.ReturnType {
  return {
    rpcUrl: node.rpcUrl,
    chainId: node.chainId,
    accounts: node.accounts.map(({ address, privateKey }) => ({ address, privateKey })),
  }
}

export declare namespace describe {
  type ReturnType = {
    rpcUrl: string
    chainId: number
    accounts: Array<{ address: string; privateKey: string }>
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1])
  run().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
