// Several paywire server processes sharing one store, paid with the test method's client
// half: for tests that a shared store keeps many instances consistent (one success for one
// credential across processes, a store outage, ...). The instance script is the caller's:
// it reads PAYWIRE_SECRET_KEY and TEST_METHOD_KEY, mounts a route paid with
// `TestMethod.server({ key })`, answers `GET /runs` with how many times its paid handler
// ran, and prints `{"url": ...}` as its first line once it listens (`announce` does that).
// `launch` starts one such process on its own (a crash test restarts one).
import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request as httpRequest, type Server } from 'node:http'
import { createInterface } from 'node:readline'
import { Challenge, Credential, Secret } from '@paywire/core'
import * as TestMethod from './TestMethod.js'

/**
 * How many concurrent replays of one credential the many-instances tests send: the
 * `PAYWIRE_REPLAYS` environment variable, default 10,000 (issue 14's figure).
 *
 * @example
 * ```ts
 * import { PaidInstances } from '@paywire/testkit'
 * PaidInstances.replayCount() // 10_000 unless PAYWIRE_REPLAYS says otherwise
 * ```
 */
export function replayCount(): number {
  const value = Number(process.env.PAYWIRE_REPLAYS ?? 10_000)
  if (!Number.isSafeInteger(value) || value < 2)
    throw new RangeError(`PAYWIRE_REPLAYS must be an integer of at least 2, found ${value}`)
  return value
}

/**
 * Sends `count` requests carrying one `Authorization` header at once, spread round-robin
 * over `urls`, each through a keep-alive pool of `socketsPerInstance` connections (every
 * request is in flight at once on the client; each server takes them as fast as its pool
 * allows). Resolves how many answers had each status.
 *
 * @example
 * ```ts
 * import { PaidInstances } from '@paywire/testkit'
 * declare const instances: PaidInstances.Instances
 * const authorization = await instances.pay(`${instances.urls[0]}/paid`)
 * const statuses = await PaidInstances.replay({ urls: instances.urls, path: '/paid', authorization, count: 10_000 })
 * // { '200': 1, '402': 9990, '503': 9 } (503: a copy that came while the payment was in progress)
 * ```
 */
export async function replay(options: replay.Options): Promise<Record<string, number>> {
  const { urls, path, authorization, count } = options
  const agents = urls.map(
    () => new Agent({ keepAlive: true, maxSockets: options.socketsPerInstance ?? 128 }),
  )
  const one = (index: number) =>
    new Promise<number>((resolve, reject) => {
      const base = new URL(urls[index % urls.length] as string)
      const req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: 'GET',
          headers: { authorization },
          agent: agents[index % urls.length],
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end()
    })
  try {
    const statuses = await Promise.all(Array.from({ length: count }, (_, index) => one(index)))
    const tally: Record<string, number> = {}
    for (const status of statuses) tally[status] = (tally[status] ?? 0) + 1
    return tally
  } finally {
    for (const agent of agents) agent.destroy()
  }
}

export declare namespace replay {
  type Options = {
    /** The instances' base URLs. */
    urls: readonly string[]
    /** The path requested (with `GET`). */
    path: string
    /** The one `Authorization` header every request carries. */
    authorization: string
    count: number
    /** Connections per instance (default 128). */
    socketsPerInstance?: number | undefined
  }
}

/**
 * Pays `path` on the first instance once, then sends that credential `count` times at once
 * over every instance (`replay`): the statuses, and how many more times the paid handler
 * ran over all instances.
 *
 * @example
 * ```ts
 * import { PaidInstances } from '@paywire/testkit'
 * declare const instances: PaidInstances.Instances
 * const { statuses, runs } = await PaidInstances.replayOne(instances, { count: 10_000 })
 * // statuses { '200': 1, '402': 9990, '503': 9 }, runs 1
 * ```
 */
export async function replayOne(
  instances: Instances,
  options: { path?: string | undefined; count: number },
): Promise<{ statuses: Record<string, number>; runs: number }> {
  const path = options.path ?? '/paid'
  const authorization = await instances.pay(`${instances.urls[0] ?? ''}${path}`)
  const before = await instances.runs()
  const statuses = await replay({ urls: instances.urls, path, authorization, count: options.count })
  return { statuses, runs: (await instances.runs()) - before }
}

/** Running instances and what clients need to pay them. */
export type Instances = {
  urls: string[]
  /** A fresh credential (Authorization header value) for a challenge from `url`. */
  pay(url: string, init?: RequestInit): Promise<string>
  /** How many times the paid handler ran, over all instances. */
  runs(): Promise<number>
  stop(): Promise<void>
}

/**
 * Starts `count` processes of `script` (run with `node --import tsx`, from the current
 * directory) with `env` added to the environment (e.g. the store's URL), one shared
 * binding secret and one test-method key; resolves once every one listens.
 *
 * @example
 * ```ts
 * import { PaidInstances } from '@paywire/testkit'
 * const instances = await PaidInstances.start({
 *   script: 'test/instance.ts',
 *   count: 3,
 *   env: { STORE_URL: 'redis://127.0.0.1:6379' },
 * })
 * const authorization = await instances.pay(`${instances.urls[0]}/paid`)
 * await instances.stop()
 * ```
 */
export async function start(options: start.Options): Promise<Instances> {
  const { script, count, env = {} } = options
  const methodKey = Secret.generate()
  const launched: Launched[] = []
  const stop = async () => {
    await Promise.all(launched.map((instance) => instance.stop()))
  }
  try {
    const urls = await Promise.all(
      Array.from({ length: count }, async () => {
        const instance = await launch(script, {
          ...env,
          PAYWIRE_SECRET_KEY: env.PAYWIRE_SECRET_KEY ?? sharedSecret,
          TEST_METHOD_KEY: methodKey,
        })
        launched.push(instance)
        return instance.url
      }),
    )
    const client = TestMethod.client({ key: methodKey, source: 'did:example:payer' })
    return {
      urls,
      async pay(url, init) {
        const response = await fetch(url, init)
        await response.body?.cancel()
        if (response.status !== 402) throw new Error(`expected a 402, got ${response.status}`)
        const challenge = Challenge.deserializeList(
          response.headers.get('www-authenticate') ?? '',
        ).find((candidate) => candidate.method === 'test')
        if (challenge === undefined) throw new Error('no test challenge offered')
        const paid = await client.createCredential({
          challenge,
          request: client.requestSchema.parse(Challenge.decodeRequest(challenge)),
        })
        return Credential.toAuthorization(Credential.from({ challenge, ...paid }))
      },
      async runs() {
        const counts = await Promise.all(
          urls.map(async (url) => Number(await (await fetch(`${url}/runs`)).text())),
        )
        return counts.reduce((sum, runs) => sum + runs, 0)
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

export declare namespace start {
  type Options = {
    /** The instance script (see the module comment for what it must do). */
    script: string
    /** Processes to start. */
    count: number
    /** Added to each process's environment. */
    env?: Record<string, string> | undefined
  }
}

const sharedSecret = Secret.generate()

/** One instance process. */
export type Launched = {
  url: string
  /** Resolves when the process has exited (killed, crashed or stopped). */
  exited: Promise<void>
  /** Sends SIGTERM (SIGKILL after 3 s) and resolves once it exited. */
  stop(): Promise<void>
}

/**
 * Starts one instance process of `script` (with `node --import tsx`, from the current
 * directory, `env` added to the environment; `conditions` passed as `--conditions`) and
 * resolves once it printed its URL.
 *
 * @example
 * ```ts
 * import { PaidInstances } from '@paywire/testkit'
 * const instance = await PaidInstances.launch('test/instance.ts', { STORE_URL: 'redis://127.0.0.1:6379' })
 * await instance.stop()
 * ```
 */
export async function launch(
  script: string,
  env: Record<string, string> = {},
  options: { conditions?: string | undefined } = {},
): Promise<Launched> {
  const flags = options.conditions === undefined ? [] : [`--conditions=${options.conditions}`]
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref()
    }
    await exited
  }
  try {
    const { url } = JSON.parse(await firstLine(child)) as { url: string }
    return { url, exited, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * For an instance script: listens on a free port of 127.0.0.1, prints `{"url": ...}` as
 * the first line once it listens, and on SIGTERM closes its connections, runs `close`
 * (release the store) and exits.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { PaidInstances } from '@paywire/testkit'
 * PaidInstances.announce(createServer((req, res) => res.end('ok')))
 * ```
 */
export function announce(server: Server, close: () => Promise<unknown> = async () => {}): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }))
  })
  process.once('SIGTERM', () => {
    server.closeAllConnections()
    server.close(() => void close().then(() => process.exit(0)))
  })
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start within 60 s')), 60_000)
    createInterface({ input: child.stdout ?? process.stdin }).once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`instance exited with ${code} before listening`))
    })
  })
}
