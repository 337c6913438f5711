// The CLI's home directory (`~/.paywire`, `PAYWIRE_HOME` or `--home`): the keystore, the
// durable ledger and budgets (one SQLite file), the optional config file, and the running
// dev node's address. Created owner-only (0700); nothing in it is meant to be shared.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Store } from '@paywire/core'
import { SqliteStore } from '@paywire/store-sqlite'

/**
 * The files of a home directory.
 *
 * @example
 * ```ts
 * import { Home } from '@paywire/cli'
 * const home = Home.from({ home: '/tmp/paywire-home' })
 * home.keystore // '/tmp/paywire-home/keystore.json'
 * ```
 */
export type Home = {
  /** The directory. */
  dir: string
  /** The encrypted keystore (mode 0600). */
  keystore: string
  /** The SQLite file holding the ledger and budgets. */
  database: string
  /** The config file read when `--config` is not given. */
  config: string
  /** Written by `paywire dev` while it runs: `{ rpcUrl, chainId }` of the local node. */
  dev: string
}

/**
 * The home directory: `home` when given, else `PAYWIRE_HOME`, else `~/.paywire`. Nothing
 * is created until {@link ensure} is called.
 *
 * @example
 * ```ts
 * import { Home } from '@paywire/cli'
 * const home = Home.from({ env: process.env })
 * ```
 */
export function from(options: from.Options = {}): Home {
  const env = options.env ?? process.env
  const dir = resolve(options.home ?? env.PAYWIRE_HOME ?? join(homedir(), '.paywire'))
  return {
    dir,
    keystore: join(dir, 'keystore.json'),
    database: join(dir, 'paywire.db'),
    config: join(dir, 'config.json'),
    dev: join(dir, 'dev.json'),
  }
}

export declare namespace from {
  type Options = { home?: string | undefined; env?: NodeJS.ProcessEnv | undefined }
}

/**
 * Creates the home directory (mode 0700) if it does not exist, and tightens its mode if
 * it does.
 *
 * @example
 * ```ts
 * import { Home } from '@paywire/cli'
 * Home.ensure(Home.from())
 * ```
 */
export function ensure(home: Home): void {
  mkdirSync(home.dir, { recursive: true, mode: 0o700 })
  if ((statSync(home.dir).mode & 0o077) !== 0) chmodSync(home.dir, 0o700)
}

/**
 * How long a store operation waits for another paywire process's write (parallel runs
 * share `paywire.db`; each of their transactions is short).
 */
export const storeBusyTimeoutMs = 30_000

/**
 * Opens the durable store of the ledger and budgets (`paywire.db`, SQLite), creating the
 * home directory first. The file is owner-only (0600; SQLite gives its write-ahead log the
 * same mode), and a looser one is tightened. Close it when done.
 *
 * @example
 * ```ts
 * import { Home } from '@paywire/cli'
 * const store = Home.store(Home.from())
 * await store.close?.()
 * ```
 */
export function store(home: Home): Store.Store {
  ensure(home)
  ownerOnly(home.database)
  return SqliteStore.create({ path: home.database, busyTimeoutMs: storeBusyTimeoutMs })
}

/** Creates `database` with mode 0600 if absent, and tightens it and its companions. */
function ownerOnly(database: string): void {
  closeSync(openSync(database, 'a', 0o600))
  for (const path of [database, `${database}-wal`, `${database}-shm`, `${database}-journal`]) {
    let mode: number
    try {
      mode = statSync(path).mode
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700)
  }
}

/**
 * The local node `paywire dev` is running, as it recorded it, or `undefined`.
 *
 * @example
 * ```ts
 * import { Home } from '@paywire/cli'
 * const node = Home.devNode(Home.from())
 * if (node) console.log(node.rpcUrl)
 * ```
 */
export function devNode(home: Home): { rpcUrl: string; chainId: number } | undefined {
  let text: string
  try {
    text = readFileSync(home.dev, 'utf8')
  } catch (error) {
    // No file: no dev node is running (or it was started with another home).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const parsed = JSON.parse(text) as { rpcUrl?: unknown; chainId?: unknown }
  if (typeof parsed.rpcUrl !== 'string' || typeof parsed.chainId !== 'number') return undefined
  return { rpcUrl: parsed.rpcUrl, chainId: parsed.chainId }
}
