// The suite's payer of the Tempo charge (draft-tempo-charge-00): real payments on a Tempo
// node, made by the client half of @paywire/method-tempo. Pull signs the transaction and
// puts it in the credential (the target broadcasts it); push broadcasts it, waits for its
// receipt and sends the hash. Configured as `methods.tempo: { rpcUrl, privateKey, mode,
// memo }`; `memo: 'mppx-attribution'` is a compatibility switch for a known deviation of
// mppx 0.11 (spec/DEVIATIONS.md, row 6), not draft behaviour.
import { Challenge } from '@paywire/core'
import type * as Tempo from '@paywire/method-tempo'
import { z } from 'zod'
import {
  InvalidPayerSettingsError,
  type Payer,
  type Payment,
  UnpayableChallengeError,
} from './Payer.js'

/** The settings of `methods.tempo` in the configuration. */
export const settingsSchema = z.strictObject({
  /** JSON-RPC URL of a node of the chain the target settles on. */
  rpcUrl: z
    .string()
    .regex(/^https?:\/\/[^\s/]+\S*$/, 'expected the http(s) URL of a Tempo JSON-RPC endpoint'),
  /** The paying account's key: it must hold the charged token (and fee token) on that chain. */
  privateKey: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "expected the payer's 0x-prefixed 32-byte hex private key"),
  /** How to submit when a challenge allows both modes (default pull). */
  mode: z.enum(['pull', 'push']).default('pull'),
  /**
   * Which memo the payment's primary transfer carries when the challenge asks for none
   * (default `challenge`). `challenge`: as the draft says, only the memo the challenge asks
   * for (`methodDetails.memo`), so none when it asks none. `mppx-attribution`: a
   * compatibility switch, not draft behaviour, for mppx 0.11 servers, which refuse every
   * transfer without their attribution memo (spec/DEVIATIONS.md, row 6): the payer then
   * pays with `transferWithMemo` and mppx's memo for the challenge's realm and id. A memo
   * the challenge asks for is always the one paid.
   */
  memo: z.enum(['challenge', 'mppx-attribution']).default('challenge'),
})

/** `methods.tempo` as written. */
export type Settings = z.input<typeof settingsSchema>

/** `methods.tempo` with defaults applied. */
export type Options = z.output<typeof settingsSchema>

/** A submission mode. */
export type Mode = Options['mode']

/** Which memo a payment carries when the challenge asks for none. */
export type Memo = Options['memo']

/** The chain as the payer reaches it, and the paying account. */
export type Connection = { chain: Tempo.Chain.Chain; chainId: number; address: string }

/** The Tempo payer: a {@link Payer} with what Tempo-specific checks need besides. */
export type TempoPayer = Payer & {
  readonly method: 'tempo'
  /** The configured mode. */
  readonly mode: Mode
  /** The configured memo setting. */
  readonly memo: Memo
  /** Connects once (reads the node's chain id): the chain and the paying account. */
  connect(): Promise<Connection>
  /**
   * Pays `challenge` with a transaction for `request` (default: the challenge's own), in
   * `mode` (default the configured one) when the request allows it. The credential still
   * echoes `challenge`: a `request` of its own makes a payment that does not match it.
   * With `memo: 'mppx-attribution'`, a request asking no memo is paid with mppx's
   * attribution memo for `challenge`.
   *
   * @throws {UnpayableChallengeError} when the client cannot pay that request.
   */
  payWith(options: payWith.Options): Promise<Payment>
}

export declare namespace payWith {
  type Options = {
    challenge: Challenge.Challenge
    /** The request the transaction pays (default the challenge's). */
    request?: Record<string, unknown> | undefined
    mode?: Mode | undefined
    /**
     * `false`: the transfers carry no memo at all, whatever the challenge names and the
     * `memo` setting (a payment bound to no challenge, as an unrelated transfer is).
     */
    bound?: boolean | undefined
    /**
     * `'empty'`: paid from a fresh account holding nothing (its transaction is well formed
     * and would revert on chain). Default the configured account.
     */
    account?: 'configured' | 'empty' | undefined
  }
}

/**
 * Reads `methods.tempo` from a configuration.
 *
 * @throws {InvalidPayerSettingsError} naming the first wrong field (never its value).
 * @example
 * ```ts
 * import { TempoPayer } from '@paywire/conformance'
 * const options = TempoPayer.read({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 * }) // mode: 'pull', memo: 'challenge'
 * ```
 */
export function read(settings: unknown): Options {
  const result = settingsSchema.safeParse(settings)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = ['methods', 'tempo', ...(issue?.path ?? [])].join('.')
  throw new InvalidPayerSettingsError(`${where}: ${issue?.message ?? 'invalid'}`)
}

/**
 * The payer of the Tempo charge. Payments are made one at a time (a push payment is
 * mined before the next is signed), so the account's nonces never collide. `forge` signs
 * (pull) or broadcasts (push) a transaction paying the payer itself instead of the
 * recipient: well formed, and it must fail verification.
 *
 * @example
 * ```ts
 * import { TempoPayer } from '@paywire/conformance'
 * const payer = TempoPayer.from({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   mode: 'push',
 * })
 * ```
 */
export function from(settings: Settings): TempoPayer {
  const options = read(settings)
  const privateKey = options.privateKey as `0x${string}`
  let connection: Promise<Connection & Modules> | undefined
  const connect = () => {
    connection ??= open(options.rpcUrl, privateKey).catch((error: unknown) => {
      connection = undefined
      throw error
    })
    return connection
  }
  let queue: Promise<unknown> = Promise.resolve()
  const oneAtATime = <result>(task: () => Promise<result>): Promise<result> => {
    const run = queue.then(task, task)
    queue = run.catch(() => undefined)
    return run
  }
  const payWith = (parameters: payWith.Options) =>
    oneAtATime(async () => {
      const { tempo, accounts, chain } = await connect()
      const input = parameters.request ?? decodeRequest(parameters.challenge)
      const parsed = tempo.ChargeRequest.schema.safeParse(input)
      if (!parsed.success)
        throw new UnpayableChallengeError(
          `the challenge's request is not a Tempo charge request: ${parsed.error.issues[0]?.message}`,
        )
      const unbound = parameters.bound === false
      const request = unbound ? withoutMemo(parsed.data) : parsed.data
      const client = tempo.Client.client({
        chain,
        privateKey: parameters.account === 'empty' ? accounts.generatePrivateKey() : privateKey,
        mode: parameters.mode ?? options.mode,
        // A memo where the challenge names none: mppx's attribution memo, when configured.
        attribution: !unbound && options.memo === 'mppx-attribution',
      })
      try {
        const paid = await client.createCredential({
          challenge: parameters.challenge,
          request,
        })
        return { payload: paid.payload, source: paid.source }
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new UnpayableChallengeError(`the Tempo client cannot pay it: ${reason}`, { cause })
      }
    })
  return {
    method: 'tempo',
    intent: 'charge',
    mode: options.mode,
    memo: options.memo,
    connect: async () => {
      const { chain, chainId, address } = await connect()
      return { chain, chainId, address }
    },
    payWith,
    pay: (challenge) => payWith({ challenge }),
    async forge(challenge) {
      const { address } = await connect()
      const request = decodeRequest(challenge)
      const self = typeof request.recipient === 'string' && sameAddress(request.recipient, address)
      // Paying the payer itself moves no money away, should a broken target accept it.
      const forged = self
        ? { ...request, amount: (BigInt(String(request.amount)) + 1n).toString() }
        : { ...request, recipient: address }
      return payWith({ challenge, request: forged })
    },
  }
}

/**
 * Whether a payer is the Tempo payer.
 *
 * @example
 * ```ts
 * import { Check, TempoPayer } from '@paywire/conformance'
 * declare const context: Check.Context
 * const tempo = context.payers.find(TempoPayer.is)
 * ```
 */
export function is(payer: Payer): payer is TempoPayer {
  return payer.method === 'tempo' && 'payWith' in payer && 'connect' in payer
}

/** The modules a payment needs, loaded on first use: the rest of the suite does not need viem. */
type Modules = { tempo: typeof Tempo; accounts: typeof import('viem/accounts') }

async function open(rpcUrl: string, privateKey: `0x${string}`): Promise<Connection & Modules> {
  const [tempo, accounts] = await Promise.all([
    import('@paywire/method-tempo'),
    import('viem/accounts'),
  ])
  const chainId = await readChainId(rpcUrl)
  const chain = tempo.Chain.fromRpc({ rpcUrl, chainId })
  return { tempo, accounts, chain, chainId, address: accounts.privateKeyToAddress(privateKey) }
}

/** `request` without its memo (the client pays it with plain transfers). */
function withoutMemo(
  request: Tempo.ChargeRequest.ChargeRequest,
): Tempo.ChargeRequest.ChargeRequest {
  const { memo: _memo, ...methodDetails } = request.methodDetails
  return { ...request, methodDetails }
}

async function readChainId(rpcUrl: string): Promise<number> {
  let body: { result?: unknown } | undefined
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(10_000),
    })
    body = (await response.json()) as { result?: unknown }
  } catch (cause) {
    throw new UnpayableChallengeError(`the Tempo node at ${rpcUrl} does not answer`, { cause })
  }
  if (typeof body?.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result))
    throw new UnpayableChallengeError(`the Tempo node at ${rpcUrl} gave no chain id`)
  return Number(BigInt(body.result))
}

function decodeRequest(challenge: Challenge.Challenge): Record<string, unknown> {
  try {
    return Challenge.decodeRequest(challenge)
  } catch (cause) {
    throw new UnpayableChallengeError("the challenge's request does not decode", { cause })
  }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}
