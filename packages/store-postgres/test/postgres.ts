// The real PostgreSQL the tests talk to: DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test). An unreachable server fails the run loudly; it
// is never skipped. Each test file works in its own schema and drops it when done.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A schema of its own for a test file, and a client to inspect and drop it. */
export async function isolate(): Promise<{
  schema: string
  admin: pg.Client
  drop(): Promise<void>
}> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  admin.on('error', () => {})
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(
      `the store-postgres tests need PostgreSQL at ${url} (set DATABASE_URL, or start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): ${String(error)}`,
      { cause: error },
    )
  }
  const schema = `paywire_test_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE SCHEMA ${schema}`)
  return {
    schema,
    admin,
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    },
  }
}

/** The host and port of the test database, for a proxy in front of it. */
export function target(): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432) }
}

/** The test database URL with its host and port replaced by a local proxy's. */
export function throughPort(port: number): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(port)
  return parsed.toString()
}
