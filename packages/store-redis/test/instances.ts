// Starts several paywire server processes (test/instance.ts) that share one store, and
// pays them with the test method's client half. The processes load the other workspace
// packages from their builds (turbo builds them before tests run), which starts them far
// faster than compiling their sources would on a loaded machine.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Challenge, Credential, Secret } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'

/** Running instances and what clients need to pay them. */
export type Instances = {
  urls: string[]
  /** A fresh credential (Authorization header value) for a challenge from `url`. */
  pay(url: string, init?: RequestInit): Promise<string>
  /** How many times the paid handler ran, over all instances. */
  runs(): Promise<number>
  stop(): Promise<void>
}

/** Starts `count` instances with the given environment (STORE_URL, STORE_PREFIX...). */
export async function start(count: number, env: Record<string, string>): Promise<Instances> {
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
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/instance.ts'], {
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
