// How the CLI writes files: never in place. A write goes to a temporary file beside the
// target (created with the target's mode), is flushed to disk, renamed over the target and
// the directory flushed, so a reader sees the old file or the new one, never a part; and
// writers of one file take turns through a lock file (`<file>.lock`, created exclusively),
// so that a read-modify-write (adding an account to the keystore) never loses another
// process's change.
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { Errors } from '@paywire/core'

/** How long a writer waits for another one's lock before giving up, by default. */
export const defaultLockTimeoutMs = 60_000

/**
 * Writes `data` to `path` atomically: temporary file, fsync, rename, fsync of the
 * directory. A target that exists and is not a regular file (`/dev/null`, a FIFO) is
 * written in place: renaming over it would replace the device.
 *
 * @example
 * ```ts
 * import { AtomicFile } from '@paywire/cli'
 * AtomicFile.write('/tmp/paywire-example.json', '{"ok":true}\n', { mode: 0o600 })
 * ```
 */
export function write(path: string, data: string | Uint8Array, options: write.Options = {}): void {
  // Through a symbolic link, the file it names is replaced (the link stays).
  const target = resolve(path)
  const existing = stat(target)
  if (existing !== undefined && !existing.isFile()) {
    writeFileSync(target, data)
    return
  }
  const mode = options.mode ?? (existing === undefined ? 0o666 : existing.mode & 0o777)
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(temporary, 'wx', mode)
  try {
    writeFileSync(fd, data)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temporary, { force: true })
    throw error
  }
  closeSync(fd)
  try {
    renameSync(temporary, target)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
  syncDirectory(dirname(target))
}

export declare namespace write {
  type Options = {
    /** Mode of the new file (default: the replaced file's, else 0666 less the umask). */
    mode?: number | undefined
  }
}

/**
 * {@link write} under the file's lock: writers of one file take turns. A target that
 * exists and is not a regular file is written in place, without a lock.
 *
 * @example
 * ```ts
 * import { AtomicFile } from '@paywire/cli'
 * await AtomicFile.replace('/tmp/paywire-example.json', '{"ok":true}\n', { mode: 0o600 })
 * ```
 */
export async function replace(
  path: string,
  data: string | Uint8Array,
  options: write.Options & locked.Options = {},
): Promise<void> {
  const existing = stat(resolve(path))
  if (existing !== undefined && !existing.isFile()) return write(path, data, options)
  await locked(path, () => write(path, data, options), options)
}

/**
 * Runs `critical` while holding the lock of `path` (the file `<path>.lock`, created
 * exclusively): writers of one file take turns. A lock left by a process that no longer
 * runs on this host is taken over.
 *
 * @throws {LockTimeoutError} when another writer holds the lock past `timeoutMs`.
 * @example
 * ```ts
 * import { AtomicFile } from '@paywire/cli'
 * await AtomicFile.locked('/tmp/paywire-example.json', () => {
 *   AtomicFile.write('/tmp/paywire-example.json', '{"n":1}\n')
 * })
 * ```
 */
export async function locked<value>(
  path: string,
  critical: () => value | Promise<value>,
  options: locked.Options = {},
): Promise<value> {
  const lock = `${path}.lock`
  const deadline = Date.now() + (options.timeoutMs ?? defaultLockTimeoutMs)
  let pause = 5
  while (!acquire(lock)) {
    if (Date.now() > deadline)
      throw new LockTimeoutError(
        `another paywire process holds ${lock}; if none is running, remove that file`,
      )
    await new Promise((resolve) => setTimeout(resolve, pause))
    pause = Math.min(pause * 2, 100)
  }
  try {
    return await critical()
  } finally {
    rmSync(lock, { force: true })
  }
}

export declare namespace locked {
  type Options = { timeoutMs?: number | undefined }
}

/** Takes the lock file, or a stale one; false while a live process holds it. */
function acquire(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx', 0o600)
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }))
    closeSync(fd)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  if (stale(lock)) breakStale(lock)
  return false
}

/**
 * Moves a stale lock aside (one rename: one taker), and puts it back if what was moved
 * turns out to be a live lock taken in between.
 */
function breakStale(lock: string): void {
  const moved = `${lock}.${process.pid}.${randomBytes(6).toString('hex')}.stale`
  try {
    renameSync(lock, moved)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (!stale(moved)) {
    try {
      linkSync(moved, lock)
    } catch {
      // Another writer holds the lock now; the one moved aside had finished by then.
    }
  }
  rmSync(moved, { force: true })
}

/** A lock whose owner ran on this host and is gone. */
function stale(lock: string): boolean {
  let owner: { pid?: unknown; host?: unknown }
  try {
    owner = JSON.parse(readFileSync(lock, 'utf8'))
  } catch {
    // Being written by its owner this instant, or gone already: not stale.
    return false
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false
  try {
    process.kill(owner.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function resolve(path: string): string {
  try {
    return realpathSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path
    throw error
  }
}

function stat(path: string) {
  try {
    return lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function syncDirectory(directory: string): void {
  let fd: number | undefined
  try {
    fd = openSync(directory, 'r')
    fsyncSync(fd)
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is atomic.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Raised when another process holds a file's lock for too long.
 *
 * @example
 * ```ts
 * import { AtomicFile } from '@paywire/cli'
 * const error = new AtomicFile.LockTimeoutError('another paywire process holds keystore.json.lock')
 * error.code // 'ERR_CLI_LOCK_TIMEOUT'
 * ```
 */
export class LockTimeoutError extends Errors.BaseError {
  override readonly name = 'AtomicFile.LockTimeoutError'
  readonly code = 'ERR_CLI_LOCK_TIMEOUT'
  readonly problem = undefined
}
