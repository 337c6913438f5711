// The local keystore: account keys in one JSON file (mode 0600), each key encrypted with
// AES-256-GCM under a key derived from a passphrase with scrypt (node:crypto only). Names
// and addresses stay readable so `account list` needs no passphrase; the ciphertext is
// bound to them (GCM additional data), and the decrypted key must derive the address.
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { Errors } from '@paywire/core'
import { type Hex, isHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as AtomicFile from './AtomicFile.js'

/**
 * An account as listed: no key material.
 *
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * declare const account: Keystore.Account
 * console.log(account.name, account.address)
 * ```
 */
export type Account = { name: string; address: Hex; createdAt: string }

/**
 * scrypt cost used for new keys: N = 2^17, r = 8, p = 1 (about 128 MiB and a few hundred
 * milliseconds per unlock). Stored with each key, so it can be raised later.
 *
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * Keystore.scryptParameters.n // 131072
 * ```
 */
export const scryptParameters = { n: 2 ** 17, r: 8, p: 1 } as const

/** Shortest passphrase accepted for a new key. */
export const minPassphraseLength = 8

/**
 * The accounts in the keystore at `path`, oldest first (none when the file does not exist).
 *
 * @throws {CorruptKeystoreError | PermissionsError}
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * for (const account of Keystore.list('/home/me/.paywire/keystore.json')) console.log(account.name)
 * ```
 */
export function list(path: string): Account[] {
  return read(path).accounts.map(({ name, address, createdAt }) => ({ name, address, createdAt }))
}

/**
 * One account by name.
 *
 * @throws {AccountNotFoundError} naming the accounts that exist.
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * const alice = Keystore.get('/home/me/.paywire/keystore.json', 'alice')
 * ```
 */
export function get(path: string, name: string): Account {
  const { name: found, address, createdAt } = find(read(path), name)
  return { name: found, address, createdAt }
}

/**
 * Encrypts `privateKey` (a fresh random key when absent) under `passphrase` and adds it
 * as account `name`. The file is written atomically with mode 0600, under a lock that
 * parallel writers take in turn (no account written by another process is lost).
 *
 * @throws {AccountExistsError | InvalidKeyError | WeakPassphraseError}
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * const account = await Keystore.add('/tmp/keystore.json', { name: 'alice', passphrase: 'correct horse battery' })
 * ```
 */
export async function add(path: string, options: add.Options): Promise<Account> {
  if (!namePattern.test(options.name))
    throw new InvalidKeyError(
      `account name "${options.name.slice(0, 64)}" must be 1-64 letters, digits, ".", "_" or "-"`,
    )
  if (options.passphrase.length < minPassphraseLength)
    throw new WeakPassphraseError(`passphrase must have at least ${minPassphraseLength} characters`)
  const assertNew = (file: File) => {
    if (file.accounts.some((account) => account.name === options.name))
      throw new AccountExistsError(`account "${options.name}" already exists`)
  }
  assertNew(read(path))
  const privateKey = options.privateKey ?? (`0x${randomBytes(32).toString('hex')}` as Hex)
  const address = addressOf(privateKey)
  const createdAt = new Date().toISOString()
  // Encrypted before the lock is taken: scrypt is slow, and needs nothing from the file.
  const crypto = await encrypt(
    Buffer.from(privateKey.slice(2), 'hex'),
    options.passphrase,
    additionalData(options.name, address),
  )
  // Read, add and write under the keystore's lock: parallel writers take turns, and each
  // adds to what the one before it wrote.
  await AtomicFile.locked(path, () => {
    const file = read(path)
    assertNew(file)
    file.accounts.push({ name: options.name, address, createdAt, crypto })
    AtomicFile.write(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
  })
  return { name: options.name, address, createdAt }
}

export declare namespace add {
  type Options = {
    name: string
    passphrase: string
    /** A key to import (0x-prefixed, 32 bytes); a random one when absent. */
    privateKey?: Hex | undefined
  }
}

/**
 * Decrypts the key of account `name`.
 *
 * @throws {WrongPassphraseError} when the passphrase (or the file) does not authenticate.
 * @throws {AccountNotFoundError | CorruptKeystoreError}
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * const privateKey = await Keystore.unlock('/tmp/keystore.json', 'alice', 'correct horse battery')
 * ```
 */
export async function unlock(path: string, name: string, passphrase: string): Promise<Hex> {
  const account = find(read(path), name)
  const secret = await decrypt(
    account.crypto,
    passphrase,
    additionalData(account.name, account.address),
  )
  const privateKey = `0x${secret.toString('hex')}` as Hex
  secret.fill(0)
  if (addressOf(privateKey) !== account.address)
    throw new CorruptKeystoreError(`account "${name}": the key does not match its address`)
  return privateKey
}

/**
 * Derives a key with scrypt and encrypts `secret` with AES-256-GCM, binding `aad`.
 *
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * const sealed = await Keystore.encrypt(Buffer.from('secret'), 'a long passphrase', 'context')
 * ```
 */
export async function encrypt(
  secret: Uint8Array,
  passphrase: string,
  aad: string,
  parameters: { n: number; r: number; p: number } = scryptParameters,
): Promise<Sealed> {
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const key = await derive(passphrase, salt, parameters)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()])
  key.fill(0)
  return {
    kdf: 'scrypt',
    ...parameters,
    salt: salt.toString('base64'),
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
}

/**
 * Decrypts what {@link encrypt} sealed.
 *
 * @throws {WrongPassphraseError} when the passphrase, the data or `aad` do not authenticate.
 * @throws {CorruptKeystoreError} when the parameters are out of bounds.
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * declare const sealed: Keystore.Sealed
 * const secret = await Keystore.decrypt(sealed, 'a long passphrase', 'context')
 * ```
 */
export async function decrypt(sealed: Sealed, passphrase: string, aad: string): Promise<Buffer> {
  const { n, r, p } = sealed
  // Bounds keep a tampered file from asking for gigabytes of memory, or a trivial cost.
  if (!(n >= 2 ** 14 && n <= 2 ** 20 && (n & (n - 1)) === 0 && r >= 1 && r <= 32 && p === 1))
    throw new CorruptKeystoreError(`scrypt parameters out of bounds (n=${n}, r=${r}, p=${p})`)
  const iv = Buffer.from(sealed.iv, 'base64')
  const tag = Buffer.from(sealed.tag, 'base64')
  if (iv.length !== 12 || tag.length !== 16)
    throw new CorruptKeystoreError('iv or tag has the wrong length')
  const key = await derive(passphrase, Buffer.from(sealed.salt, 'base64'), { n, r, p })
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(tag)
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ])
  } catch (cause) {
    throw new WrongPassphraseError(
      'wrong passphrase (or the keystore entry was modified): the key does not authenticate',
      { cause },
    )
  } finally {
    key.fill(0)
  }
}

/**
 * A secret sealed by {@link encrypt}, as stored (binary members in base64).
 *
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * declare const sealed: Keystore.Sealed
 * sealed.cipher // 'aes-256-gcm'
 * ```
 */
export type Sealed = {
  kdf: 'scrypt'
  n: number
  r: number
  p: number
  salt: string
  cipher: 'aes-256-gcm'
  iv: string
  tag: string
  ciphertext: string
}

type Entry = Account & { crypto: Sealed }
type File = { version: 1; accounts: Entry[] }

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function additionalData(name: string, address: string): string {
  return `paywire-keystore-v1|${name}|${address.toLowerCase()}`
}

function derive(
  passphrase: string,
  salt: Buffer,
  { n, r, p }: { n: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      passphrase.normalize('NFKC'),
      salt,
      32,
      { N: n, r, p, maxmem: 256 * n * r + 16 * 1024 * 1024 },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    ),
  )
}

function addressOf(privateKey: Hex): Hex {
  if (!isHex(privateKey) || privateKey.length !== 66)
    throw new InvalidKeyError('a private key is 0x followed by 64 hex digits')
  try {
    return privateKeyToAccount(privateKey).address
  } catch (cause) {
    throw new InvalidKeyError('not a valid secp256k1 private key', { cause })
  }
}

function find(file: File, name: string): Entry {
  const account = file.accounts.find((entry) => entry.name === name)
  if (account === undefined) {
    const names = file.accounts.map((entry) => entry.name)
    throw new AccountNotFoundError(
      names.length === 0
        ? `no account "${name}": the keystore is empty; create one with \`paywire account create ${name}\``
        : `no account "${name}" (accounts: ${names.join(', ')})`,
    )
  }
  return account
}

function read(path: string): File {
  let text: string
  try {
    const mode = statSync(path).mode
    if ((mode & 0o077) !== 0)
      throw new PermissionsError(
        `${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
      )
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, accounts: [] }
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new CorruptKeystoreError(`${path} is not JSON`, { cause })
  }
  if (!isFile(parsed)) throw new CorruptKeystoreError(`${path} is not a version 1 paywire keystore`)
  return parsed
}

function isFile(value: unknown): value is File {
  if (typeof value !== 'object' || value === null) return false
  const { version, accounts } = value as { version?: unknown; accounts?: unknown }
  return (
    version === 1 &&
    Array.isArray(accounts) &&
    accounts.every(
      (entry: Partial<Entry>) =>
        typeof entry?.name === 'string' &&
        typeof entry.address === 'string' &&
        typeof entry.createdAt === 'string' &&
        typeof entry.crypto === 'object' &&
        entry.crypto !== null &&
        entry.crypto.kdf === 'scrypt' &&
        entry.crypto.cipher === 'aes-256-gcm' &&
        ['n', 'r', 'p'].every((key) => Number.isInteger(entry.crypto?.[key as 'n'])) &&
        ['salt', 'iv', 'tag', 'ciphertext'].every(
          (key) => typeof entry.crypto?.[key as 'salt'] === 'string',
        ),
    )
  )
}

/**
 * Raised when the passphrase does not decrypt a key (or the entry was tampered with).
 *
 * @example
 * ```ts
 * import { Keystore } from '@paywire/cli'
 * await Keystore.unlock('/tmp/keystore.json', 'alice', 'not it').catch((error) => {
 *   if (error instanceof Keystore.WrongPassphraseError) console.log(error.code) // 'ERR_KEYSTORE_PASSPHRASE'
 * })
 * ```
 */
export class WrongPassphraseError extends Errors.BaseError {
  override readonly name = 'Keystore.WrongPassphraseError'
  readonly code = 'ERR_KEYSTORE_PASSPHRASE'
  readonly problem = undefined
}

/** Raised when no account has the name asked for. */
export class AccountNotFoundError extends Errors.BaseError {
  override readonly name = 'Keystore.AccountNotFoundError'
  readonly code = 'ERR_KEYSTORE_ACCOUNT_NOT_FOUND'
  readonly problem = undefined
}

/** Raised when an account of that name already exists. */
export class AccountExistsError extends Errors.BaseError {
  override readonly name = 'Keystore.AccountExistsError'
  readonly code = 'ERR_KEYSTORE_ACCOUNT_EXISTS'
  readonly problem = undefined
}

/** Raised when an account name or an imported key is not valid. */
export class InvalidKeyError extends Errors.BaseError {
  override readonly name = 'Keystore.InvalidKeyError'
  readonly code = 'ERR_KEYSTORE_INVALID_KEY'
  readonly problem = undefined
}

/** Raised when a new key's passphrase is too short. */
export class WeakPassphraseError extends Errors.BaseError {
  override readonly name = 'Keystore.WeakPassphraseError'
  readonly code = 'ERR_KEYSTORE_WEAK_PASSPHRASE'
  readonly problem = undefined
}

/** Raised when the keystore file is readable by group or others. */
export class PermissionsError extends Errors.BaseError {
  override readonly name = 'Keystore.PermissionsError'
  readonly code = 'ERR_KEYSTORE_PERMISSIONS'
  readonly problem = undefined
}

/** Raised when the keystore file cannot be parsed or an entry is inconsistent. */
export class CorruptKeystoreError extends Errors.BaseError {
  override readonly name = 'Keystore.CorruptKeystoreError'
  readonly code = 'ERR_KEYSTORE_CORRUPT'
  readonly problem = undefined
}
