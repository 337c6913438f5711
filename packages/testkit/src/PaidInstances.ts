// Several paywire server processes sharing one store, paid with the test method's client
// half: for tests that a shared store keeps many instances consistent (one success for one
// credential across processes, a store outage, ...). The instance script is the caller's:
// it reads PAYWIRE_SECRET_KEY and TEST_METHOD_KEY, mounts a route paid with
// `TestMethod.server({ key })`, answers `GET /runs` with how many times its paid handler
// ran, and prints `{"url": ...}` as its first line once it listens.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Challenge, Credential, Secret } from '@paywire/core'
import * as TestMethod from './TestMethod.js'

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
  const children: ChildProcess[] = []
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 3_000).unref()
          }),
      ),
    )
  }
  try {
    const urls = await Promise.all(
      Array.from({ length: count }, () => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], {
          env: {
            ...process.env,
            ...env,
            PAYWIRE_SECRET_KEY: env.PAYWIRE_SECRET_KEY ?? sharedSecret,
            TEST_METHOD_KEY: methodKey,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        children.push(child)
        return firstLine(child).then((line) => (JSON.parse(line) as { url: string }).url)
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
