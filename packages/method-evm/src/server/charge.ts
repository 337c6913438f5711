// The server half of the EVM charge (draft-evm-charge-00): builds requests (chainId,
// permit2Address and credentialTypes always emitted, in the order permit2, authorization,
// transaction, hash, each only when this server can settle it; splits only with permit2),
// and verifies credentials per type (§6): nothing is claimed, signed or broadcast before
// every check passed and the settlement was simulated; receipts carry challengeId and
// chainId (§7.6).
import { Charge, Method, Receipt } from '@paywire/core'
import type { Hex } from 'viem'
import * as Address from '../Address.js'
import type * as Authorization from '../Authorization.js'
import type * as Chain from '../Chain.js'
import * as ChargePayload from '../ChargePayload.js'
import * as ChargeRequest from '../ChargeRequest.js'
import * as Errors from '../Errors.js'
import { method } from '../Method.js'
import * as AuthorizationCredential from './internal/authorization.js'
import * as HashCredential from './internal/hash.js'
import * as Permit2Credential from './internal/permit2.js'
import * as TransactionCredential from './internal/transaction.js'
import type { Prepared, Settings } from './internal/verification.js'
import type * as Sponsor from './Sponsor.js'

/** What a route charges: a base-unit amount and the optional parts of the request. */
export type Price = {
  amount: string
  recipient?: string | undefined
  currency?: string | undefined
  description?: string | undefined
  externalId?: string | undefined
  splits?: ChargeRequest.Split[] | undefined
  /** Types offered for this charge (a subset of the server's), in preference order. */
  credentialTypes?: ChargeRequest.CredentialType[] | undefined
}

/**
 * The server half of the EVM charge: give it to a paywire server and price routes with
 * `{ amount }` in base units.
 *
 * @example
 * ```ts
 * import { Chain } from '@paywire/method-evm'
 * import { Sponsor, charge } from '@paywire/method-evm/server'
 * const evm = charge({
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 1337 }),
 *   currency: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
 *   recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
 *   eip3009: { name: 'Local USD', version: '2' },
 *   sponsor: Sponsor.from({ privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', maxFeePerPayment: 10n ** 15n, budget: 10n ** 17n }),
 * })
 * const request = await evm.request({ amount: '10000' })
 * ```
 */
export function charge(
  options: charge.Options,
): Method.Server<Price, ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  const settings = settingsOf(options)
  const offered = offers(options)
  const prepare = (parameters: Verify) => prepareCredential(settings, parameters)
  return Method.defineServer({
    method,
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    payloadSchema: ChargePayload.schema,
    request: (price: Price) => buildRequest(price, options, offered),
    async check(parameters) {
      await (await prepare(parameters)).simulate()
    },
    async verify(parameters) {
      const reference = await (await prepare(parameters)).settle()
      const { request, challenge, context } = parameters
      return Receipt.from({
        method,
        challengeId: challenge.id,
        reference,
        timestamp: context.now(),
        chainId: settings.chain.chainId,
        ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
      })
    },
  })
}

export declare namespace charge {
  type Options = {
    /** The chain payments settle on. */
    chain: Chain.Chain
    /** Default recipient of charges. */
    recipient: string
    /** Default ERC-20 currency. */
    currency: string
    /** The currency's decimals, emitted as a display aid. */
    decimals?: number | undefined
    /**
     * The currency's EIP-712 domain when it implements EIP-3009 (as USDC does): enables
     * `authorization` credentials. Never set it for a token that does not.
     */
    eip3009?: Authorization.Domain | undefined
    /** Pays the gas of permit2 and authorization settlements; without it neither is offered. */
    sponsor?: Sponsor.Sponsor | undefined
    /** Permit2's address, or `false` not to offer permit2; default the canonical address. */
    permit2?: string | false | undefined
    /** Types offered by default, in preference order; default every type this server can settle. */
    credentialTypes?: ChargeRequest.CredentialType[] | undefined
    /** Confirmations (blocks including the transaction's) before a receipt; default 1. */
    confirmations?: number | undefined
    /** How long to wait for them; default 60 s. */
    confirmationTimeoutMs?: number | undefined
    /** How long a replay token is remembered; default 30 days. */
    claimTtlSeconds?: number | undefined
    /**
     * Transaction credentials without paywire's calldata binding: `refuse` (default) or
     * `fresh` (accepted only when the chain had never seen the transaction).
     */
    unboundTransactions?: 'refuse' | 'fresh' | undefined
  }
}

type Verify = Method.VerifyParameters<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload>

/** §6 steps 1-5 (the common checks), then the checks of the credential's type. */
async function prepareCredential(settings: Settings, verify: Verify): Promise<Prepared> {
  const { credential, challenge, request, context } = verify
  if (request.methodDetails.chainId !== settings.chain.chainId)
    throw new Errors.CredentialTypeRefusedError(
      `the challenge is for chain ${request.methodDetails.chainId}, this server settles on ${settings.chain.chainId}`,
    )
  const { payload } = credential
  if (!ChargeRequest.accepted(request).includes(payload.type))
    throw new Errors.CredentialTypeRefusedError(
      `this challenge does not accept ${payload.type} credentials`,
    )
  if (request.methodDetails.splits !== undefined && payload.type !== 'permit2')
    throw new Errors.CredentialTypeRefusedError(
      'a charge with splits is paid only with a permit2 credential',
    )
  const parameters = {
    request,
    challenge,
    source: credential.source,
    context,
    settings,
    now: BigInt(Math.floor(context.now() / 1000)),
  }
  if (payload.type === 'permit2') return Permit2Credential.prepare(parameters, payload)
  if (payload.type === 'authorization') return AuthorizationCredential.prepare(parameters, payload)
  if (payload.type === 'transaction')
    return TransactionCredential.prepare(parameters, payload.signature as Hex)
  return HashCredential.prepare(parameters, payload.hash as Hex)
}

function settingsOf(options: charge.Options): Settings {
  const confirmations = options.confirmations ?? 1
  if (!Number.isSafeInteger(confirmations) || confirmations < 1)
    throw new Errors.ConfigurationError('confirmations must be an integer >= 1')
  return {
    chain: options.chain,
    sponsor: options.sponsor,
    permit2Address:
      options.permit2 === false ? undefined : (options.permit2 ?? ChargeRequest.canonicalPermit2),
    eip3009:
      options.eip3009 === undefined
        ? undefined
        : { currency: options.currency, ...options.eip3009 },
    confirmations: {
      confirmations,
      timeoutMs: options.confirmationTimeoutMs ?? 60_000,
      pollMs: 200,
    },
    claimTtlSeconds: options.claimTtlSeconds ?? 30 * 24 * 3600,
    unboundTransactions: options.unboundTransactions ?? 'refuse',
  }
}

/** The types this server can settle, in preference order (§1.3, §4.2.2). */
function offers(options: charge.Options): ChargeRequest.CredentialType[] {
  const able: ChargeRequest.CredentialType[] = []
  if (options.sponsor !== undefined && options.permit2 !== false) able.push('permit2')
  if (options.sponsor !== undefined && options.eip3009 !== undefined) able.push('authorization')
  able.push('transaction', 'hash')
  if (options.credentialTypes === undefined) return able
  const unable = options.credentialTypes.filter((type) => !able.includes(type))
  if (unable.length > 0)
    throw new Errors.ConfigurationError(
      `this server cannot settle ${unable.join(', ')} credentials (a sponsor, Permit2 or an EIP-3009 domain is missing)`,
    )
  return [...new Set(options.credentialTypes)]
}

function buildRequest(
  price: Price,
  options: charge.Options,
  offered: ChargeRequest.CredentialType[],
): ChargeRequest.ChargeRequest {
  const currency = price.currency ?? options.currency
  const own = currency.toLowerCase() === options.currency.toLowerCase()
  const types = typesFor(price, own, offered)
  const permit2 = types.includes('permit2')
  const parsed = ChargeRequest.schema.safeParse({
    amount: price.amount,
    currency: eip55(currency),
    recipient: eip55(price.recipient ?? options.recipient),
    ...(price.description === undefined ? {} : { description: price.description }),
    ...(price.externalId === undefined ? {} : { externalId: price.externalId }),
    methodDetails: {
      chainId: options.chain.chainId,
      permit2Address: eip55(
        typeof options.permit2 === 'string' ? options.permit2 : ChargeRequest.canonicalPermit2,
      ),
      credentialTypes: types,
      ...(options.decimals === undefined || !own ? {} : { decimals: options.decimals }),
      ...(price.splits === undefined
        ? {}
        : {
            splits: price.splits.map((split) => ({ ...split, recipient: eip55(split.recipient) })),
          }),
      ...(permit2 && options.sponsor !== undefined
        ? { spender: eip55(options.sponsor.address) }
        : {}),
    },
  })
  if (!parsed.success)
    throw new Errors.ConfigurationError(
      `the price does not make a valid request: ${parsed.error.issues[0]?.message}`,
    )
  return parsed.data
}

/** The types offered for a price: the route's subset, authorization only for the currency known to implement EIP-3009 (§4.2.2, §5.3.2), permit2 only with splits (§4.2.3). */
function typesFor(
  price: Price,
  ownCurrency: boolean,
  offered: ChargeRequest.CredentialType[],
): ChargeRequest.CredentialType[] {
  const types = offered.filter(
    (type) =>
      (price.credentialTypes === undefined || price.credentialTypes.includes(type)) &&
      (ownCurrency || type !== 'authorization') &&
      (price.splits === undefined || type === 'permit2'),
  )
  if (types.length === 0)
    throw new Errors.ConfigurationError(
      price.splits === undefined
        ? 'no credential type left to offer for this charge'
        : 'a charge with splits needs permit2 (a sponsor and Permit2)',
    )
  return types
}

/** An address in EIP-55 form (§4.1 SHOULD); a malformed one is left for the schema to refuse. */
function eip55(address: string): string {
  return /^0x[0-9a-fA-F]{40}$/.test(address) ? Address.checksum(address) : address
}
