// Vectors mode: runs paywire's own vectors (spec/vectors, shipped in dist/spec-vectors)
// against any adapter speaking the mpp-tools ABI. The manifest's command is spawned once
// per request (one JSON request on stdin, one JSON response on stdout), from the
// manifest's `cwd`. Each vector case becomes a test with a stable id, e.g.
// `vectors.challenge-id.required-fields-only`, checking the requirement ids the case names;
// cases without a matching ABI operation, or whose operation the adapter does not claim,
// are n/a.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Challenge } from '@paywire/core'
import { toCanonicalChallenge } from './adapters/paywire/ops.js'
import * as Requirements from './Requirements.js'
import * as Results from './Results.js'
import type { Progress } from './Suite.js'
import type { Level } from './server/Check.js'

/** An adapter manifest (`adapter.json`), resolved. */
export type Manifest = {
  name: string
  language?: string | undefined
  command: readonly string[]
  /** Absolute directory the command runs in. */
  cwd: string
  capabilities: readonly string[]
  /** Absolute path of the manifest. */
  path: string
}

/** One vector case, ready to run. */
export type Case = {
  id: string
  title: string
  group: string
  /** The strongest level among `requirements` (`MUST` when it names none). */
  level: Level
  /** The requirement ids the vector case names, or {@link formatRequirements} for a format test. */
  requirements: readonly string[]
  /** The vector file, and the kind of test (`encode`, `parse`, `reject`...) when the file has several. */
  tags: readonly string[]
  /** The ABI operation, or a reason why none applies. */
  op: string | { none: string }
  input?: unknown
  /** The failure, or undefined when the response is right. */
  check?: (response: AdapterResponse) => string | undefined
}

/** A response of the ABI. */
export type AdapterResponse =
  | { ok: true; value: unknown }
  | { ok: false; error: { type: string; message: string } }

/** Raised when a manifest cannot be read. */
export class InvalidManifestError extends Error {
  override readonly name = 'Vectors.InvalidManifestError'
  readonly code = 'ERR_CONFORMANCE_MANIFEST_INVALID'
}

/**
 * Reads an adapter manifest: `command` (non-empty string array), `cwd` (relative to the
 * manifest's directory, default it), `capabilities`.
 *
 * @example
 * ```ts
 * import { Vectors } from '@paywire/conformance'
 * const manifest = Vectors.readManifest('node_modules/@paywire/conformance/adapters/paywire/adapter.json')
 * ```
 */
export function readManifest(path: string): Manifest {
  const absolute = resolve(path)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(absolute, 'utf8'))
  } catch (error) {
    throw new InvalidManifestError(`cannot read manifest ${path}: ${(error as Error).message}`)
  }
  const manifest = raw as Record<string, unknown>
  const { command, cwd, capabilities, name, language } = manifest ?? {}
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    !command.every((part) => typeof part === 'string')
  )
    throw new InvalidManifestError(`${path}: "command" must be a non-empty array of strings`)
  if (cwd !== undefined && typeof cwd !== 'string')
    throw new InvalidManifestError(`${path}: "cwd" must be a string`)
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string'))
    throw new InvalidManifestError(`${path}: "capabilities" must be an array of strings`)
  const base = dirname(absolute)
  return {
    name: typeof name === 'string' ? name : base,
    language: typeof language === 'string' ? language : undefined,
    command: command as string[],
    cwd: cwd === undefined ? base : isAbsolute(cwd) ? cwd : resolve(base, cwd),
    capabilities: capabilities as string[],
    path: absolute,
  }
}

/**
 * The directory of the vectors this suite ships: `dist/spec-vectors` (copied from
 * paywire's `spec/vectors` at build time), else `spec/vectors` of a paywire checkout.
 */
export function defaultDirectory(): string {
  const packageDir = fileURLToPath(new URL('..', import.meta.url))
  const shipped = join(packageDir, 'dist/spec-vectors')
  const checkout = join(packageDir, '../spec/vectors')
  return existsSync(join(shipped, 'base64url.json')) || !existsSync(checkout) ? shipped : checkout
}

/** The vector files of `dir`, by name without `.json`. */
export function load(dir: string = defaultDirectory()): Record<string, Record<string, unknown>> {
  const files = readdirSync(dir).filter((name) => name.endsWith('.json'))
  return Object.fromEntries(
    files
      .sort()
      .map((name) => [
        name.slice(0, -'.json'.length),
        JSON.parse(readFileSync(join(dir, name), 'utf8')),
      ]),
  )
}

/**
 * The requirement ids of the format tests, which the suite derives from parse vectors:
 * the adapter formats the expected object, and paywire's strict codecs must read it back
 * to that object. The vector files name what parsing checks; these name what formatting does.
 */
export const formatRequirements: Record<
  'www-authenticate' | 'credential' | 'receipt',
  readonly string[]
> = {
  // Parsed back by Challenge.deserialize: every required parameter, `request` unpadded
  // base64url of RFC 8785 text.
  'www-authenticate': [
    'core.challenge.required',
    'core.challenge.request.no-padding',
    'core.challenge.request.jcs',
  ],
  // The echoed challenge, opaque included, comes back unchanged.
  credential: ['core.credential.echo', 'core.challenge.opaque.unchanged'],
  receipt: ['core.receipt.status-success'],
}

/**
 * The id-safe form of a case name: kept when it is already made of `A-Z a-z 0-9 - _`
 * (base64url values stay case-sensitive), else lowercased with runs of other characters
 * as `-`.
 */
export function slug(name: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(name)) return name
  return (
    name
      .toLowerCase()
      .replace(/\+/g, ' plus ')
      .replace(/\//g, ' slash ')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'empty'
  )
}

/**
 * Every case of the vector files, in file order, with its stable id.
 *
 * @example
 * ```ts
 * import { Vectors } from '@paywire/conformance'
 * Vectors.cases().map((c) => c.id)
 * ```
 */
export function cases(
  files: Record<string, Record<string, unknown>> = load(),
  requirements: readonly Requirements.Requirement[] = Requirements.load(),
): Case[] {
  const out: Case[] = []
  const seen = new Set<string>()
  const add = (
    file: string,
    kind: string | undefined,
    name: string,
    checks: readonly string[],
    rest: Omit<Case, 'id' | 'group' | 'level' | 'requirements' | 'title' | 'tags'>,
  ) => {
    let id = ['vectors', file, ...(kind ? [kind] : []), slug(name)].join('.')
    for (let n = 2; seen.has(id); n++)
      id = `${['vectors', file, ...(kind ? [kind] : []), slug(name)].join('.')}-${n}`
    seen.add(id)
    out.push({
      id,
      title: `${file}${kind ? ` ${kind}` : ''}: ${name}`,
      group: file,
      level: Requirements.levelOf(checks, requirements),
      requirements: checks,
      tags: [file, ...(kind ? [kind] : [])],
      ...rest,
    })
  }
  const named = (entry: Record<string, unknown>): string[] =>
    Array.isArray(entry.requirements) ? entry.requirements.map(String) : []
  for (const [file, vector] of Object.entries(files)) {
    const list = (member: string) =>
      Array.isArray(vector[member]) ? (vector[member] as Record<string, unknown>[]) : []
    switch (file) {
      case 'base64url': {
        for (const entry of list('encode')) {
          const encoded = String(entry.encoded)
          const text = typeof entry.utf8 === 'string' ? entry.utf8 : utf8OfHex(String(entry.hex))
          const label = encoded || 'empty'
          if (text === undefined) {
            const none = { none: 'the bytes are not UTF-8 text, which the ABI carries' }
            add(file, 'encode', label, named(entry), { op: none })
            add(file, 'decode', label, named(entry), { op: none })
            continue
          }
          add(file, 'encode', label, named(entry), {
            op: 'base64url.encode',
            input: { text },
            check: expectValue({ text: encoded }),
          })
          add(file, 'decode', label, named(entry), {
            op: 'base64url.decode',
            input: { text: encoded },
            check: expectValue({ text }),
          })
        }
        for (const entry of list('reject'))
          add(file, 'reject', String(entry.reason), named(entry), {
            op: 'base64url.decode',
            input: { text: String(entry.input) },
            check: expectRefusal,
          })
        break
      }
      case 'challenge-id': {
        const secrets = [...new Set(list('cases').map((entry) => String(entry.secret)))]
        for (const entry of list('cases')) {
          const challenge = entry.challenge as Record<string, string>
          const { id: _id, request, ...fields } = challenge
          const secret = secrets.indexOf(String(entry.secret))
          const name = secret === 0 ? String(entry.name) : `${entry.name} secret ${secret + 1}`
          add(file, undefined, name, named(entry), {
            op: 'challenge.id',
            input: { secretKey: entry.secret, ...fields, request: decodeJson(request ?? '') },
            check: expectValue({ id: entry.id }),
          })
        }
        break
      }
      case 'www-authenticate': {
        for (const entry of list('parse')) {
          const challenges = entry.challenges as Record<string, string>[]
          const name = String(entry.name)
          const [only] = challenges
          if (challenges.length !== 1 || only === undefined) {
            add(file, 'parse', name, named(entry), {
              op: { none: 'challenge.parse reads one challenge; the header holds several' },
            })
            continue
          }
          const expected = canonicalChallenge(only)
          add(file, 'parse', name, named(entry), {
            op: 'challenge.parse',
            input: { header: entry.header },
            check: expectValue(expected),
          })
          add(file, 'format', name, formatRequirements['www-authenticate'], {
            op: 'challenge.format',
            input: expected,
            check: (response) => {
              if (!response.ok) return `refused: ${response.error.type}: ${response.error.message}`
              const header = (response.value as { header?: unknown })?.header
              if (typeof header !== 'string') return 'value has no "header" string'
              let parsed: unknown
              try {
                parsed = toCanonicalChallenge(Challenge.deserialize(header))
              } catch (error) {
                return `the formatted header does not parse: ${(error as Error).message} (${header})`
              }
              return same(parsed, expected)
                ? undefined
                : `the formatted header ${header} parses to ${show(parsed)}, not ${show(expected)}`
            },
          })
        }
        for (const entry of list('reject'))
          add(file, 'reject', String(entry.name), named(entry), {
            op: 'challenge.parse',
            input: { header: entry.header },
            check: expectRefusal,
          })
        break
      }
      case 'credential': {
        for (const entry of list('parse')) {
          const credential = entry.credential as Record<string, unknown>
          const canonical = {
            ...credential,
            challenge: canonicalChallenge(credential.challenge as Record<string, string>),
          }
          add(file, 'parse', String(entry.name), named(entry), {
            op: 'credential.parse',
            input: { header: entry.authorization },
            check: expectValue(canonical),
          })
          add(file, 'format', String(entry.name), formatRequirements.credential, {
            op: 'credential.format',
            input: canonical,
            check: expectToken('Payment ', credential),
          })
        }
        for (const entry of list('reject'))
          add(file, 'reject', String(entry.name), named(entry), {
            op: 'credential.parse',
            input: { header: `Payment ${String(entry.token)}` },
            check: expectRefusal,
          })
        break
      }
      case 'receipt': {
        for (const entry of list('parse')) {
          add(file, 'parse', String(entry.name), named(entry), {
            op: 'receipt.parse',
            input: { header: entry.value },
            check: expectValue(entry.receipt),
          })
          add(file, 'format', String(entry.name), formatRequirements.receipt, {
            op: 'receipt.format',
            input: entry.receipt,
            check: expectToken('', entry.receipt),
          })
        }
        for (const entry of list('reject'))
          add(file, 'reject', String(entry.name), named(entry), {
            op: 'receipt.parse',
            input: { header: entry.value },
            check: expectRefusal,
          })
        break
      }
      default: {
        const entries = list('cases')
        entries.forEach((entry, index) => {
          add(
            file,
            undefined,
            typeof entry.name === 'string' ? entry.name : String(index + 1),
            named(entry),
            {
              op: { none: `the ABI has no operation for ${file} vectors` },
            },
          )
        })
      }
    }
  }
  return out
}

/**
 * Runs the vectors against the adapter of `manifest`.
 *
 * @example
 * ```ts
 * import { Vectors, Report } from '@paywire/conformance'
 * const results = await Vectors.run({ manifest: Vectors.readManifest('adapter.json') })
 * console.log(Report.markdown(results))
 * ```
 */
export async function run(options: run.Options): Promise<Results.Results> {
  const started = Date.now()
  const { manifest } = options
  const dir = options.directory ?? defaultDirectory()
  const selected = cases(load(dir)).filter(
    (c) =>
      options.only === undefined ||
      options.only.length === 0 ||
      options.only.some((p) => c.id.startsWith(p)),
  )
  const results: Results.Result[] = new Array(selected.length)
  let done = 0
  for (const group of [...new Set(selected.map((c) => c.group))]) {
    const members = selected.flatMap((c, index) => (c.group === group ? [index] : []))
    options.onProgress?.({ kind: 'group', group, tests: members.length })
    let next = 0
    const worker = async () => {
      while (next < members.length) {
        const index = members[next++] as number
        const result = await runCase(selected[index] as Case, manifest, options.timeoutMs ?? 10_000)
        results[index] = result
        done++
        options.onProgress?.({ kind: 'result', group, result, done, total: selected.length })
      }
    }
    await Promise.all(
      Array.from({ length: options.concurrency ?? Math.max(2, availableParallelism()) }, worker),
    )
  }
  return {
    suite: Results.suite,
    mode: 'vectors',
    target: {
      url: pathToFileURL(manifest.path).href,
      methods: [],
      intents: [],
      extensions: [],
      capabilities: [...manifest.capabilities].sort(),
    },
    seed: 0,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: Results.summarize(results),
    results,
  }
}

export declare namespace run {
  type Options = {
    manifest: Manifest
    /** The vectors directory (default {@link defaultDirectory}). */
    directory?: string | undefined
    /** Id prefixes to run (default all). */
    only?: readonly string[] | undefined
    /** Time allowed per adapter request (default 10 s). */
    timeoutMs?: number | undefined
    /** Adapter processes at once (default the number of CPUs, at least 2). */
    concurrency?: number | undefined
    onProgress?: ((progress: Progress) => void) | undefined
  }
}

async function runCase(test: Case, manifest: Manifest, timeoutMs: number): Promise<Results.Result> {
  const base = {
    id: test.id,
    title: test.title,
    group: test.group,
    level: test.level,
    requirements: [...test.requirements],
    evidence: [],
  }
  if (typeof test.op !== 'string')
    return { ...base, verdict: 'n/a', message: test.op.none, durationMs: 0 }
  if (!manifest.capabilities.includes(test.op))
    return {
      ...base,
      verdict: 'n/a',
      message: `the adapter does not claim ${test.op}`,
      durationMs: 0,
    }
  const startedAt = performance.now()
  const durationMs = () => Math.round(performance.now() - startedAt)
  let response: AdapterResponse
  try {
    response = await request(manifest, { schema: 1, op: test.op, input: test.input }, timeoutMs)
  } catch (error) {
    return {
      ...base,
      verdict: 'error',
      message: `${test.op}: ${(error as Error).message}`,
      durationMs: durationMs(),
    }
  }
  if (!response.ok && response.error.type === 'unsupported_operation')
    return {
      ...base,
      verdict: 'n/a',
      message: `${test.op}: unsupported_operation: ${response.error.message}`,
      durationMs: durationMs(),
    }
  const failure = test.check?.(response)
  if (failure === undefined) return { ...base, verdict: 'pass', durationMs: durationMs() }
  return {
    ...base,
    verdict: test.level === 'MUST' ? 'fail' : 'warn',
    message: `${test.op} ${show(test.input)}: ${failure}`,
    durationMs: durationMs(),
  }
}

/**
 * Sends one ABI request to the adapter: spawns its command, writes the request to stdin,
 * and reads one JSON response from stdout.
 */
export function request(
  manifest: Manifest,
  body: unknown,
  timeoutMs = 10_000,
): Promise<AdapterResponse> {
  const [command = 'node', ...args] = manifest.command
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: manifest.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no response within ${timeoutMs} ms`))
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin.on('error', () => {})
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot start ${command}: ${error.message}`))
    })
    child.on('close', (status) => {
      clearTimeout(timer)
      const text = Buffer.concat(stdout).toString('utf8').trim()
      const lines = text.split('\n')
      let response: unknown
      try {
        response = JSON.parse(lines[lines.length - 1] ?? '')
      } catch {
        const detail = Buffer.concat(stderr).toString('utf8').trim().slice(0, 200)
        return reject(
          new Error(
            `exit ${status}, no JSON response on stdout${detail ? ` (stderr: ${detail})` : ''}`,
          ),
        )
      }
      const shaped = response as AdapterResponse
      if (typeof shaped !== 'object' || shaped === null || typeof shaped.ok !== 'boolean')
        return reject(new Error(`response is not { ok, value | error }: ${show(response)}`))
      resolvePromise(shaped)
    })
    child.stdin.end(JSON.stringify(body))
  })
}

function expectValue(expected: unknown) {
  return (response: AdapterResponse): string | undefined => {
    if (!response.ok) return `refused: ${response.error.type}: ${response.error.message}`
    return same(response.value, expected)
      ? undefined
      : `expected ${show(expected)}, got ${show(response.value)}`
  }
}

function expectRefusal(response: AdapterResponse): string | undefined {
  return response.ok
    ? `accepted an input it must refuse, answering ${show(response.value)}`
    : undefined
}

/** The header must be `prefix` + unpadded base64url of JSON equal to `expected`. */
function expectToken(prefix: string, expected: unknown) {
  return (response: AdapterResponse): string | undefined => {
    if (!response.ok) return `refused: ${response.error.type}: ${response.error.message}`
    const header = (response.value as { header?: unknown })?.header
    if (typeof header !== 'string' || !header.startsWith(prefix))
      return `value has no "header" starting with "${prefix}": ${show(response.value)}`
    const token = header.slice(prefix.length)
    if (!/^[A-Za-z0-9_-]+$/.test(token)) return `"${token}" is not unpadded base64url`
    let decoded: unknown
    try {
      decoded = decodeJson(token)
    } catch {
      return `"${token}" is not base64url of JSON`
    }
    return same(decoded, expected)
      ? undefined
      : `the header decodes to ${show(decoded)}, not ${show(expected)}`
  }
}

function canonicalChallenge(challenge: Record<string, string>): Record<string, unknown> {
  return { ...challenge, request: decodeJson(challenge.request ?? '') }
}

function decodeJson(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
}

function utf8OfHex(hex: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(hex, 'hex'))
  } catch {
    return undefined
  }
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    )
  return value
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 300 ? `${text.slice(0, 300)}...` : text
}
