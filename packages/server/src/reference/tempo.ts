// The reference server's Tempo charge (draft-tempo-charge-00): pull and push on the paid
// routes, fee sponsorship on /paid-sponsored. The recipient and the fee payer are keys
// given as flags, or else dev accounts of the node (anvil's well-known test mnemonic), so
// `pnpm serve:reference --tempo-rpc <url>` works against `pnpm dev:chain` as it is.
import type { Method } from '@paywire/core'
import { Chain, FeePayer, Server } from '@paywire/method-tempo'
import { TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { mnemonicToAccount, privateKeyToAddress } from 'viem/accounts'
import { ConfigurationError } from '../Paywire.js'

/** Dev accounts used when no key is given: the recipient and the fee payer. */
export const devAccounts = { recipient: 1, feePayer: 2 } as const

/** Sponsorship policy defaults, in base units of pathUSD: 0.05 per payment, 10 in all. */
export const sponsorDefaults = { maxFeePerPayment: 50_000n, budget: 10_000_000n } as const

/** A key the server uses, as printed at start. */
export type Key = {
  address: string
  /** Printed only for dev accounts (their keys are public); a key given as a flag never is. */
  privateKey: string | undefined
  /** `dev account <n>` or `--tempo-…-key`. */
  from: string
}

/** What the server prints about its Tempo setup. */
export type Description = {
  rpcUrl: string
  chainId: number
  currency: string
  recipient: Key
  feePayer: Key
}

/** The Tempo charge of the reference server. */
export type Tempo = {
  method: Method.Server<Server.Price>
  description: Description
}

/**
 * Connects to the node at `rpcUrl`, reads its chain id, and builds the charge method with
 * a recipient and a fee payer.
 */
export async function connect(options: connect.Options): Promise<Tempo> {
  const chainId = await readChainId(options.rpcUrl)
  const chain = Chain.fromRpc({ rpcUrl: options.rpcUrl, chainId })
  const recipient = key(options.recipientKey, devAccounts.recipient, '--tempo-recipient-key')
  const sponsor = key(options.feePayerKey, devAccounts.feePayer, '--tempo-fee-payer-key')
  const feePayer = FeePayer.from({
    privateKey: sponsor.privateKey,
    maxFeePerPayment: options.maxFeePerPayment ?? sponsorDefaults.maxFeePerPayment,
    budget: options.budget ?? sponsorDefaults.budget,
  })
  const method = Server.server({ chain, recipient: recipient.key.address, feePayer })
  return {
    method: method as Method.Server<Server.Price>,
    description: {
      rpcUrl: options.rpcUrl,
      chainId,
      currency: Server.pathUsd,
      recipient: recipient.key,
      feePayer: sponsor.key,
    },
  }
}

export declare namespace connect {
  type Options = {
    rpcUrl: string
    recipientKey?: string | undefined
    feePayerKey?: string | undefined
    maxFeePerPayment?: bigint | undefined
    budget?: bigint | undefined
  }
}

function key(
  given: string | undefined,
  devIndex: number,
  flag: string,
): { key: Key; privateKey: Hex } {
  if (given !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(given))
      throw new ConfigurationError(`${flag} must be a 0x-prefixed 32-byte hex private key`)
    const privateKey = given as Hex
    return {
      key: { address: privateKeyToAddress(privateKey), privateKey: undefined, from: flag },
      privateKey,
    }
  }
  const account = mnemonicToAccount(TempoNode.mnemonic, { addressIndex: devIndex })
  const bytes = account.getHdKey().privateKey
  if (bytes === null) throw new ConfigurationError(`dev account ${devIndex} has no private key`)
  const privateKey = `0x${Buffer.from(bytes).toString('hex')}` as Hex
  return {
    key: { address: account.address, privateKey, from: `dev account ${devIndex}` },
    privateKey,
  }
}

async function readChainId(rpcUrl: string): Promise<number> {
  let response: Response
  try {
    response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (cause) {
    throw new ConfigurationError(`the Tempo node at ${rpcUrl} does not answer`, { cause })
  }
  const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined
  if (typeof body?.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result))
    throw new ConfigurationError(`the Tempo node at ${rpcUrl} gave no chain id`)
  return Number(BigInt(body.result))
}
