// Files written whole or not at all, and writers of one file taking turns.
import { spawnSync } from 'node:child_process'
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as AtomicFile from './AtomicFile.js'

const dir = () => mkdtempSync(join(tmpdir(), 'paywire-atomic-'))

describe('AtomicFile.write', () => {
  it('replaces the file whole, with the mode asked, leaving no temporary file', () => {
    const path = join(dir(), 'keys.json')
    writeFileSync(path, 'old', { mode: 0o644 })
    AtomicFile.write(path, 'new', { mode: 0o600 })
    expect(readFileSync(path, 'utf8')).toBe('new')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    AtomicFile.write(path, 'newer')
    // Without a mode, the replaced file's is kept.
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(path, '..'))).toEqual(['keys.json'])
  })

  it('writes the file a symbolic link names, keeping the link', () => {
    const base = dir()
    writeFileSync(join(base, 'real.json'), 'old')
    symlinkSync(join(base, 'real.json'), join(base, 'link.json'))
    AtomicFile.write(join(base, 'link.json'), 'new')
    expect(readFileSync(join(base, 'real.json'), 'utf8')).toBe('new')
    expect(readdirSync(base).sort()).toEqual(['link.json', 'real.json'])
  })

  it('writes a device in place instead of replacing it', async () => {
    AtomicFile.write('/dev/null', 'discarded')
    await AtomicFile.replace('/dev/null', 'discarded')
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
  })
})

describe('AtomicFile.locked', () => {
  it('runs writers of one file one at a time', async () => {
    const path = join(dir(), 'counter')
    writeFileSync(path, '0')
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 20 }, () =>
        AtomicFile.locked(path, async () => {
          inside++
          most = Math.max(most, inside)
          const value = Number(readFileSync(path, 'utf8'))
          await new Promise((resolve) => setImmediate(resolve))
          AtomicFile.write(path, String(value + 1))
          inside--
        }),
      ),
    )
    expect(most).toBe(1)
    expect(readFileSync(path, 'utf8')).toBe('20')
    expect(readdirSync(join(path, '..'))).toEqual(['counter'])
  })

  it('takes over a lock left by a process that is gone', async () => {
    const path = join(dir(), 'file')
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    })
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: Number(gone.stdout), host: hostname() }))
    expect(await AtomicFile.locked(path, () => 'ran')).toBe('ran')
  })

  it('gives up with LockTimeoutError while a live process holds the lock', async () => {
    const path = join(dir(), 'file')
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname() }))
    await expect(AtomicFile.locked(path, () => 'ran', { timeoutMs: 50 })).rejects.toThrow(
      AtomicFile.LockTimeoutError,
    )
  })
})
