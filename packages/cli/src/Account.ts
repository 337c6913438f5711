// `paywire account create|list|show|fund`: the keys the CLI pays with, kept in the home
// directory's encrypted keystore. `fund` sends pathUSD to an account on the local Tempo
// node of `paywire dev` from one of the node's unlocked dev accounts.
import { readFileSync } from 'node:fs'
import { Errors } from '@paywire/core'
import type { Address, Hex } from 'viem'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Keystore from './Keystore.js'
import * as Progress from './Progress.js'
import * as Prompt from './Prompt.js'
import * as Rpc from './Rpc.js'
import * as Usage from './Usage.js'

/**
 * The commands of `paywire account`, for the help and the shell completions.
 *
 * @example
 * ```ts
 * import { Account } from '@paywire/cli'
 * Account.subcommands.includes('list') // true
 * ```
 */
export const subcommands = ['create', 'list', 'show', 'fund'] as const

/**
 * The help of `paywire account`.
 *
 * @example
 * ```ts
 * import { Account } from '@paywire/cli'
 * console.log(Account.help)
 * ```
 */
export const help = `Usage: paywire account <command> [options]

Keys in <home>/keystore.json (mode 0600), each encrypted with AES-256-GCM under a key
derived from your passphrase with scrypt. The passphrase comes from PAYWIRE_PASSPHRASE,
else it is asked on the terminal.

Commands:
  create <name>          create an account with a new random key
         --import        import the key read from stdin instead (0x + 64 hex digits)
  list                   the accounts (no passphrase needed)
  show <name>            an account's address, and its pathUSD balance when a node is known
  fund <name>            send pathUSD to the account on the local node of \`paywire dev\`
         --amount <n>    base units (default 100000000: 100 pathUSD)

Options:
  --tempo-rpc <url>      Tempo node (default: the one \`paywire dev\` runs)
  --home <dir>           home directory (default PAYWIRE_HOME or ~/.paywire)
  --json                 print JSON on stdout`

export const flags = {
  import: { type: 'boolean' },
  amount: { type: 'string' },
  'tempo-rpc': { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * Runs `paywire account ...args`.
 *
 * @example
 * ```ts
 * import { Account, Io } from '@paywire/cli'
 * const code = await Account.run(['list'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const [command, ...rest] = args
  const { values, positionals } = Usage.parse(rest, flags, `account ${command ?? ''}`.trim())
  const home = Home.from({ home: values.home, env: io.env })
  const json = values.json === true
  const print = (value: unknown, lines: string[]) =>
    json ? io.stdout.write(`${JSON.stringify(value)}\n`) : Io.lines(io.stdout, lines)
  switch (command) {
    case 'create': {
      const name = Usage.single(positionals, 'name', 'account create')
      const privateKey = values.import === true ? readKey(io) : undefined
      const terminal = { input: io.stdin, output: io.stderr }
      const passphrase = await Prompt.passphrase(terminal, io.env, { confirmNew: true })
      Home.ensure(home)
      const account = await Progress.during(
        io.stderr,
        'encrypting the key',
        Keystore.add(home.keystore, { name, passphrase, privateKey }),
      )
      print(account, [`created ${account.name}: ${account.address}`, `keystore: ${home.keystore}`])
      return ExitCode.ok
    }
    case 'list': {
      Usage.single(['list', ...positionals], 'command', 'account list')
      const accounts = Keystore.list(home.keystore)
      print(
        accounts,
        accounts.length === 0
          ? ['no accounts: create one with `paywire account create <name>`']
          : accounts.map((account) => `${account.name}  ${account.address}  ${account.createdAt}`),
      )
      return ExitCode.ok
    }
    case 'show': {
      const account = Keystore.get(home.keystore, Usage.single(positionals, 'name', 'account show'))
      const rpcUrl = values['tempo-rpc'] ?? Home.devNode(home)?.rpcUrl
      const balance =
        rpcUrl === undefined ? undefined : await balanceOf(rpcUrl, account.address, io)
      print(
        { ...account, ...(balance === undefined ? {} : { balance: balance.toString(), rpcUrl }) },
        [
          `name: ${account.name}`,
          `address: ${account.address}`,
          `created: ${account.createdAt}`,
          ...(balance === undefined ? [] : [`balance: ${balance} pathUSD base units on ${rpcUrl}`]),
        ],
      )
      return ExitCode.ok
    }
    case 'fund': {
      const account = Keystore.get(home.keystore, Usage.single(positionals, 'name', 'account fund'))
      const amount = amountOf(values.amount ?? '100000000')
      const rpcUrl = values['tempo-rpc'] ?? Home.devNode(home)?.rpcUrl
      if (rpcUrl === undefined)
        throw new Usage.UsageError(
          'no local Tempo node: start one with `paywire dev` (same --home), or pass --tempo-rpc <url>',
          { command: 'account fund' },
        )
      const hash = await Progress.during(
        io.stderr,
        `funding ${account.name}`,
        fund(rpcUrl, account.address, amount),
      )
      const balance = await balanceOf(rpcUrl, account.address, io)
      print(
        { ...account, amount: amount.toString(), transaction: hash, balance: balance.toString() },
        [
          `sent ${amount} pathUSD base units to ${account.name} (${account.address}) in ${hash}`,
          `balance: ${balance}`,
        ],
      )
      return ExitCode.ok
    }
    default:
      throw new Usage.UsageError(
        command === undefined ? 'missing <command>' : `unknown command "account ${command}"`,
        { command: 'account' },
      )
  }
}

function readKey(io: Io.Io): Hex {
  if (io.stdin.isTTY === true)
    throw new Usage.UsageError('--import reads the key from stdin: pipe it in', {
      command: 'account create',
    })
  const text = readFileSync((io.stdin as unknown as { fd: number }).fd, 'utf8')
  return text.trim() as Hex
}

function amountOf(text: string): bigint {
  if (!/^[1-9][0-9]*$/.test(text))
    throw new Usage.UsageError(`--amount takes a positive integer of base units, found "${text}"`, {
      command: 'account fund',
    })
  return BigInt(text)
}

/** viem and the node's constants, loaded only by the commands that reach a node. */
async function chain() {
  const { createPublicClient, encodeFunctionData, http, parseAbi } = await import('viem')
  const { mnemonicToAccount } = await import('viem/accounts')
  const { TempoNode } = await import('@paywire/testkit')
  const abi = parseAbi([
    'function balanceOf(address owner) view returns (uint256)',
    'function transfer(address to, uint256 amount) returns (bool)',
  ])
  return { createPublicClient, encodeFunctionData, http, mnemonicToAccount, TempoNode, abi }
}

async function balanceOf(rpcUrl: string, owner: Address, io: Io.Io): Promise<bigint> {
  const { createPublicClient, http, TempoNode, abi } = await chain()
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
  return Progress.during(
    io.stderr,
    `reading the balance on ${rpcUrl}`,
    Rpc.reached(
      rpcUrl,
      client.readContract({
        address: TempoNode.pathUsd,
        abi,
        functionName: 'balanceOf',
        args: [owner],
      }),
    ),
  )
}

/** Sends pathUSD from the dev node's last dev account (unlocked: the node signs). */
async function fund(rpcUrl: string, to: Address, amount: bigint): Promise<Hex> {
  const { createPublicClient, encodeFunctionData, http, mnemonicToAccount, TempoNode, abi } =
    await chain()
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
  const faucet = mnemonicToAccount(TempoNode.mnemonic, { addressIndex: 9 }).address
  const data = encodeFunctionData({ abi, functionName: 'transfer', args: [to, amount] })
  const hash = (await Rpc.reached(
    rpcUrl,
    client.request({
      method: 'eth_sendTransaction' as 'eth_chainId',
      params: [{ from: faucet, to: TempoNode.pathUsd, data }] as never,
    }),
  )) as Hex
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 })
  if (receipt.status !== 'success')
    throw new FundingError(`the funding transaction ${hash} reverted`)
  return hash
}

/**
 * Raised when the funding transfer on the local node reverts.
 *
 * @example
 * ```ts
 * import { Account } from '@paywire/cli'
 * new Account.FundingError('reverted').code // 'ERR_CLI_FUNDING'
 * ```
 */
export class FundingError extends Errors.BaseError {
  override readonly name = 'Account.FundingError'
  readonly code = 'ERR_CLI_FUNDING'
  readonly problem = undefined
}
