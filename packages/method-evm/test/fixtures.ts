// Shared by the method's tests: a plain local EVM node per test file with an EIP-3009
// token and Permit2, a sponsor, the chain seam, a Set-based `context.claim`, challenges
// built the way a server builds them, and the "nothing broadcast" probe (anvil mines every
// accepted transaction at once, so an unchanged block number means nothing was sent).
import { Challenge, Credential, Expires, type Method } from '@paywire/core'
import { Eip3009Token, EvmNode, Permit2 } from '@paywire/testkit'
import type { Address, Hex } from 'viem'
import { expect } from 'vitest'
import * as Chain from '../src/Chain.js'
import type * as ChargePayload from '../src/ChargePayload.js'
import type * as ChargeRequest from '../src/ChargeRequest.js'
import * as EvmClient from '../src/client/index.js'
import * as EvmServer from '../src/server/index.js'

/** Everything a test file needs, on one node. */
export type World = {
  node: EvmNode.EvmNode
  chain: Chain.Chain
  token: Eip3009Token.Token
  sponsorAccount: EvmNode.Account
  sponsor: EvmServer.Sponsor.Sponsor
  recipient: Address
  /** The server half with every type enabled. */
  server: Method.Server<EvmServer.Price, ChargeRequest.ChargeRequest, ChargePayload.ChargePayload>
}

/** Starts a node with a token, Permit2 and a funded sponsor, and the server half over them. */
export async function startWorld(
  options: {
    server?: Partial<EvmServer.charge.Options>
    sponsor?: Partial<EvmServer.Sponsor.from.Options>
  } = {},
): Promise<World> {
  const node = await EvmNode.start()
  const token = await Eip3009Token.deploy({ node })
  await Permit2.install(node)
  const chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
  const sponsorAccount = await node.newAccount(10n ** 18n)
  const sponsor = EvmServer.Sponsor.from({
    privateKey: sponsorAccount.privateKey,
    maxFeePerPayment: 10n ** 16n,
    budget: 10n ** 17n,
    ...options.sponsor,
  })
  const recipient = (await node.newAccount(0n)).address
  const server = EvmServer.charge({
    chain,
    recipient,
    currency: token.address,
    decimals: 6,
    eip3009: { name: token.name, version: token.version },
    sponsor,
    ...options.server,
  })
  return { node, chain, token, sponsorAccount, sponsor, recipient, server }
}

/** A payer with `tokens` base units and 1 ETH, Permit2 approved for `approve` (default all). */
export async function newPayer(
  world: World,
  tokens: bigint,
  approve: bigint = 2n ** 256n - 1n,
): Promise<EvmNode.Account> {
  const account = await world.node.newAccount()
  if (tokens > 0n) await world.token.mint(account.address, tokens)
  if (approve > 0n) await world.token.approve(account, Permit2.address, approve)
  return account
}

/** The client half for `account`, limited to `types`. */
export function clientFor(
  world: World,
  account: EvmNode.Account,
  types?: ChargeRequest.CredentialType[],
) {
  return EvmClient.charge({
    chain: world.chain,
    privateKey: account.privateKey,
    credentialTypes: types,
  })
}

/** A `context.claim` over a Set, with the set exposed for assertions. */
export function claims(now: () => number = Date.now): {
  keys: Set<string>
  context: Method.Context
} {
  const keys = new Set<string>()
  return {
    keys,
    context: {
      async claim(key) {
        if (keys.has(key)) return false
        keys.add(key)
        return true
      },
      now,
    },
  }
}

let counter = 0

/** A challenge for a request, as a server issues it (the id is not HMAC-bound here). */
export function challengeFor(
  request: ChargeRequest.ChargeRequest,
  expiresInSeconds = 300,
): Challenge.Challenge {
  counter += 1
  return Challenge.from(
    {
      realm: 'api.example.com',
      method: 'evm',
      intent: 'charge',
      request,
      expires: Expires.inSeconds(expiresInSeconds),
    },
    { id: `challenge-${counter}-${Math.random().toString(36).slice(2)}` },
  )
}

/** A credential answering `challenge`. */
export function credentialFor(
  challenge: Challenge.Challenge,
  answer: { payload: ChargePayload.ChargePayload; source?: string | undefined },
): Credential.Credential<ChargePayload.ChargePayload> {
  return Credential.from({
    challenge,
    payload: answer.payload,
    ...(answer.source === undefined ? {} : { source: answer.source }),
  }) as Credential.Credential<ChargePayload.ChargePayload>
}

/** Issues a challenge for `price` and has `account` answer it with one of `types`. */
export async function pay(
  world: World,
  account: EvmNode.Account,
  price: EvmServer.Price,
  types?: ChargeRequest.CredentialType[],
) {
  const request = await world.server.request(price)
  const challenge = challengeFor(request)
  const answer = await clientFor(world, account, types).createCredential({ challenge, request })
  return { request, challenge, answer, credential: credentialFor(challenge, answer) }
}

/** Runs `verify` with a fresh claim set (or the given one). */
export function verify(
  world: World,
  paid: {
    request: ChargeRequest.ChargeRequest
    challenge: Challenge.Challenge
    credential: Credential.Credential<ChargePayload.ChargePayload>
  },
  context: Method.Context = claims().context,
) {
  return world.server.verify({ ...paid, context })
}

/**
 * Runs `action`, expects it to throw an error with `code`, and checks that nothing was
 * broadcast meanwhile (same block number) and the sponsor spent nothing.
 */
export async function refusedWithNothingBroadcast(
  world: World,
  action: () => Promise<unknown>,
  code: string,
): Promise<void> {
  const block = await world.node.client.getBlockNumber()
  const spent = world.sponsor.spent()
  const balance = await world.node.balance(world.sponsorAccount.address)
  await expect(action()).rejects.toMatchObject({ code })
  expect(await world.node.client.getBlockNumber()).toBe(block)
  expect(world.sponsor.spent()).toBe(spent)
  expect(await world.node.balance(world.sponsorAccount.address)).toBe(balance)
}

/** The fee a receipt's transaction cost its sender, in wei. */
export async function feeOf(world: World, hash: Hex): Promise<bigint> {
  const receipt = await world.chain.getTransactionReceipt(hash)
  if (receipt === undefined) throw new Error(`no receipt for ${hash}`)
  return receipt.gasUsed * receipt.effectiveGasPrice
}
