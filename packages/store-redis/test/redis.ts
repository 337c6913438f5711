// The real Redis the tests talk to: REDIS_URL (default redis://127.0.0.1:6379). An
// unreachable server fails the run loudly; it is never skipped. Each test file writes
// under its own random prefix and removes its keys when done.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'

export const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Connects to the test Redis, or throws an error saying how to start it. */
export async function connect(): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return client
  } catch (error) {
    client.disconnect()
    throw new Error(
      `the store-redis tests need a Redis server at ${url} (set REDIS_URL, or start one: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no): ${String(error)}`,
      { cause: error },
    )
  }
}

/** A prefix no other run uses. */
export function uniquePrefix(): string {
  return `paywire-test:${randomUUID()}:`
}

/** Deletes every key under a prefix. */
export async function clear(client: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== '0')
}

/** The host and port of the test Redis, for a proxy in front of it. */
export function target(): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) }
}

/** The test Redis URL with its host and port replaced by a local proxy's. */
export function throughPort(port: number): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(port)
  return parsed.toString()
}
