// The keystore: encryption round trip, wrong passphrase, tampering, file modes; and the
// `paywire account` commands over it, through the built binary.
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import * as Keystore from './Keystore.js'
import { home, paywire } from './test/run.js'

const passphrase = 'correct horse battery staple'
const devKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'

describe('Keystore', () => {
  it('encrypts a key and decrypts it with the passphrase', async () => {
    const path = join(home(), 'keystore.json')
    const account = await Keystore.add(path, { name: 'alice', passphrase, privateKey: devKey })
    expect(account.address).toBe(privateKeyToAccount(devKey).address)
    expect(readFileSync(path, 'utf8')).not.toContain(devKey.slice(2))
    expect(await Keystore.unlock(path, 'alice', passphrase)).toBe(devKey)
    expect(Keystore.list(path)).toEqual([account])
  })

  it('refuses a wrong passphrase', async () => {
    const path = join(home(), 'keystore.json')
    await Keystore.add(path, { name: 'alice', passphrase })
    await expect(Keystore.unlock(path, 'alice', 'not the passphrase')).rejects.toThrow(
      Keystore.WrongPassphraseError,
    )
  })

  it('refuses an entry whose address or ciphertext was changed', async () => {
    const path = join(home(), 'keystore.json')
    await Keystore.add(path, { name: 'alice', passphrase, privateKey: devKey })
    const file = JSON.parse(readFileSync(path, 'utf8'))
    file.accounts[0].address = privateKeyToAccount(`0x${'11'.repeat(32)}`).address
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 })
    await expect(Keystore.unlock(path, 'alice', passphrase)).rejects.toThrow(
      Keystore.WrongPassphraseError,
    )
  })

  it('writes the file with mode 0600 and refuses one readable by others', async () => {
    const path = join(home(), 'keystore.json')
    await Keystore.add(path, { name: 'alice', passphrase })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    chmodSync(path, 0o644)
    expect(() => Keystore.list(path)).toThrow(Keystore.PermissionsError)
  })

  it('refuses a short passphrase, a duplicate name and an invalid key', async () => {
    const path = join(home(), 'keystore.json')
    await expect(Keystore.add(path, { name: 'a', passphrase: 'short' })).rejects.toThrow(
      Keystore.WeakPassphraseError,
    )
    await Keystore.add(path, { name: 'a', passphrase })
    await expect(Keystore.add(path, { name: 'a', passphrase })).rejects.toThrow(
      Keystore.AccountExistsError,
    )
    await expect(
      Keystore.add(path, { name: 'b', passphrase, privateKey: '0x1234' }),
    ).rejects.toThrow(Keystore.InvalidKeyError)
  })
})

describe('paywire account', () => {
  it('creates, lists and shows accounts in an owner-only home directory', async () => {
    const dir = home()
    const env = { PAYWIRE_PASSPHRASE: passphrase }
    const created = await paywire(['account', 'create', 'alice', '--home', dir, '--json'], { env })
    expect(created.code).toBe(0)
    const alice = JSON.parse(created.stdout)
    expect(alice).toMatchObject({
      name: 'alice',
      address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
    })
    const imported = await paywire(['account', 'create', 'bob', '--import', '--home', dir], {
      env,
      input: `${devKey}\n`,
    })
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain(privateKeyToAccount(devKey).address)
    expect(statSync(join(dir, 'keystore.json')).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const list = await paywire(['account', 'list', '--home', dir])
    expect(list.stdout).toMatch(/^alice {2}0x[0-9a-fA-F]{40} {2}\S+\nbob {2}/)
    const show = await paywire(['account', 'show', 'bob', '--home', dir, '--json'])
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'bob',
      address: privateKeyToAccount(devKey).address,
    })
    expect(readFileSync(join(dir, 'keystore.json'), 'utf8')).not.toContain(devKey.slice(2))
  })

  it('asks for PAYWIRE_PASSPHRASE when there is no terminal, and names a missing account', async () => {
    const dir = home()
    const noPassphrase = await paywire(['account', 'create', 'alice', '--home', dir])
    expect(noPassphrase.code).toBe(6)
    expect(noPassphrase.stderr).toContain('set PAYWIRE_PASSPHRASE or run on a terminal')
    const missing = await paywire(['account', 'show', 'carol', '--home', dir])
    expect(missing.code).toBe(6)
    expect(missing.stderr).toContain('paywire account create carol')
    const unknown = await paywire(['account', 'delete', '--home', dir])
    expect(unknown.code).toBe(2)
  })
})

describe('paywire account create, run in parallel', () => {
  it('keeps every account: 4 processes creating at once leave 4 accounts that each unlock', async () => {
    const dir = home()
    const env = { PAYWIRE_PASSPHRASE: passphrase }
    const names = ['alice', 'bob', 'carol', 'dave']
    const runs = await Promise.all(
      names.map((name) => paywire(['account', 'create', name, '--home', dir, '--json'], { env })),
    )
    expect(runs.map((run) => [run.code, run.stderr])).toEqual(
      names.map(() => [0, expect.any(String)]),
    )
    const printed = runs.map((run) => JSON.parse(run.stdout) as Keystore.Account)
    const path = join(dir, 'keystore.json')
    const kept = Keystore.list(path)
    expect(kept.map((account) => account.name).sort()).toEqual(names)
    for (const account of printed) {
      expect(kept).toContainEqual(account)
      const key = await Keystore.unlock(path, account.name, passphrase)
      expect(privateKeyToAccount(key).address).toBe(account.address)
    }
    expect(statSync(path).mode & 0o777).toBe(0o600)
    // No temporary or lock file is left behind.
    expect(readdirSync(dir).filter((file) => file.startsWith('keystore'))).toEqual([
      'keystore.json',
    ])
  })

  it('refuses the same name created twice at once: one account, one refusal', async () => {
    const dir = home()
    const env = { PAYWIRE_PASSPHRASE: passphrase }
    const runs = await Promise.all(
      [1, 2].map(() => paywire(['account', 'create', 'alice', '--home', dir, '--json'], { env })),
    )
    expect(runs.map((run) => run.code).sort()).toEqual([0, 6])
    expect(Keystore.list(join(dir, 'keystore.json'))).toHaveLength(1)
  })
})
