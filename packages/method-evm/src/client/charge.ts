// The client half of the EVM charge (draft-evm-charge-00): checks the request (chain,
// splits, Permit2 address), takes the first credential type the server lists that this
// client can use (§4.2.2), and builds it: a Permit2 witness transfer or an EIP-3009
// authorization bound to the challenge hash, or an ERC-20 transfer carrying the challenge
// hash in its calldata, signed for the server to broadcast (transaction) or broadcast here
// (hash).
import { Charge, Expires, Method } from '@paywire/core'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as Address from '../Address.js'
import type * as Authorization from '../Authorization.js'
import type * as Chain from '../Chain.js'
import type * as ChargePayload from '../ChargePayload.js'
import * as ChargeRequest from '../ChargeRequest.js'
import * as Errors from '../Errors.js'
import { method } from '../Method.js'
import * as Source from '../Source.js'
import * as Build from './internal/build.js'

/**
 * The client half of the EVM charge: give it to a paywire client.
 *
 * @example
 * ```ts
 * import { Chain } from '@paywire/method-evm'
 * import { charge } from '@paywire/method-evm/client'
 * const evm = charge({
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 1337 }),
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 * })
 * ```
 */
export function charge(
  options: charge.Options,
): Method.Client<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  const account = privateKeyToAccount(options.privateKey)
  const usable = new Set(options.credentialTypes ?? ChargeRequest.credentialTypeSchema.options)
  const trusted = options.permit2Addresses ?? [ChargeRequest.canonicalPermit2]
  return Method.defineClient({
    method,
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    async createCredential({ challenge, request: input }) {
      const parsed = ChargeRequest.schema.safeParse(input)
      if (!parsed.success)
        throw new Errors.RequestRefusedError(
          `the request is invalid: ${parsed.error.issues[0]?.message}`,
        )
      const request = parsed.data
      if (request.methodDetails.chainId !== options.chain.chainId)
        throw new Errors.RequestRefusedError(
          `the challenge is for chain ${request.methodDetails.chainId}, this client pays on ${options.chain.chainId}`,
        )
      const now = BigInt(Math.floor((options.now?.() ?? Date.now()) / 1000))
      const expires =
        challenge.expires === undefined
          ? undefined
          : BigInt(Math.floor(Expires.parse(challenge.expires) / 1000))
      if (expires !== undefined && expires <= now)
        throw new Errors.RequestRefusedError('the challenge has expired')
      const context: Build.Context = {
        chain: options.chain,
        account,
        request,
        challenge,
        deadline: min(expires, now + BigInt(options.validitySeconds ?? 300)),
        eip3009: options.eip3009,
      }
      const source = Source.format({ chainId: options.chain.chainId, address: account.address })
      for (const type of ChargeRequest.accepted(request)) {
        if (!usable.has(type) || !(await fits(type, context, trusted))) continue
        return { payload: await Build.payload(type, context), source }
      }
      throw new Errors.RequestRefusedError(
        'the challenge offers no credential type this client can use',
      )
    },
  })
}

export declare namespace charge {
  type Options = {
    /** The chain this client pays on (its id must be the challenge's). */
    chain: Chain.Chain
    /** The payer's secp256k1 key. */
    privateKey: Hex
    /** Types this client may use; default all four. The server's order decides among them. */
    credentialTypes?: ChargeRequest.CredentialType[] | undefined
    /** Permit2 contracts this client signs for; default the canonical one only. */
    permit2Addresses?: string[] | undefined
    /** EIP-712 domains of EIP-3009 tokens by address; default read `name()`/`version()` from the token. */
    eip3009?: Record<string, Authorization.Domain> | undefined
    /** Longest validity of a signed authorization, capped by the challenge's expiry; default 300 s. */
    validitySeconds?: number | undefined
    /** The clock, for tests. */
    now?: (() => number) | undefined
  }
}

/** Whether this client can pay the request with `type` (splits need permit2, §4.2.3). */
async function fits(
  type: ChargeRequest.CredentialType,
  context: Build.Context,
  trusted: readonly string[],
): Promise<boolean> {
  const { request } = context
  if (type !== 'permit2') return request.methodDetails.splits === undefined
  const { spender, permit2Address } = request.methodDetails
  if (spender === undefined || !trusted.some((address) => Address.same(address, permit2Address)))
    return false
  return Build.permit2Allowed(context)
}

function min(a: bigint | undefined, b: bigint): bigint {
  return a !== undefined && a < b ? a : b
}
