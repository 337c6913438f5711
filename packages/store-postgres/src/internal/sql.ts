// The SQL of the PostgreSQL store: its migration and one statement per operation. Every
// operation is a single statement, so it is atomic on its own; expiry is judged by the
// database clock (`now()`), the one clock all instances share.
import { createHash } from 'node:crypto'
import { InvalidOptionError } from './record.js'

/** Names of the store's database objects, checked and quoted. */
export type Names = { table: string; sequence: string; index: string; lockKey: string }

/** Checks a schema and table name and derives the names of the sequence and index. */
export function names(schema: string, table: string): Names {
  for (const [what, name] of [
    ['schema', schema],
    ['table', table],
  ] as const)
    if (!/^[a-z_][a-z0-9_]{0,47}$/.test(name))
      throw new InvalidOptionError(
        `${what} must be a lower-case SQL identifier of at most 48 characters, found "${name}"`,
      )
  return {
    table: `"${schema}"."${table}"`,
    sequence: `"${schema}"."${table}_version"`,
    index: `"${table}_expires_at"`,
    lockKey: `paywire-store:${schema}.${table}`,
  }
}

/** The migration: idempotent, safe to run from many instances at once. */
export function migration(names: Names): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${names.sequence};
CREATE TABLE IF NOT EXISTS ${names.table} (
  key text PRIMARY KEY,
  value json NOT NULL,
  version bigint NOT NULL,
  expires_at timestamptz
);
CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (expires_at) WHERE expires_at IS NOT NULL;
`
}

/** The statements the store runs. */
export type Operation =
  | 'insertOrTakeOver'
  | 'get'
  | 'put'
  | 'swap'
  | 'delete'
  | 'deleteExpired'
  | 'scan'

/** A statement, prepared once per connection under `name`; `label` names it in errors. */
export type Statement = { name: string; text: string; label: string }

/** The statements of each operation. `$3` (TTL) is milliseconds or null. */
export function statements(names: Names): Record<Operation, Statement> {
  const { table, sequence } = names
  const expiresAt = (parameter: string) => `now() + ${parameter}::bigint * interval '1 millisecond'`
  const live = '(expires_at IS NULL OR expires_at > now())'
  const texts: Record<Operation, [label: string, text: string]> = {
    // Inserts an absent key, or takes over a key whose row has expired; a live row is left
    // alone and no row is returned. One statement: of concurrent callers exactly one writes.
    insertOrTakeOver: [
      'claim',
      `INSERT INTO ${table} AS current (key, value, version, expires_at)
VALUES ($1, $2::json, nextval('${sequence}'), ${expiresAt('$3')})
ON CONFLICT (key) DO UPDATE
SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
WHERE current.expires_at IS NOT NULL AND current.expires_at <= now()
RETURNING version`,
    ],
    get: [
      'get',
      `SELECT value::text AS value, version::text AS version FROM ${table} WHERE key = $1 AND ${live}`,
    ],
    put: [
      'put',
      `INSERT INTO ${table} (key, value, version, expires_at)
VALUES ($1, $2::json, nextval('${sequence}'), ${expiresAt('$3')})
ON CONFLICT (key) DO UPDATE
SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at`,
    ],
    swap: [
      'compareAndSwap',
      `UPDATE ${table}
SET value = $2::json, version = nextval('${sequence}'), expires_at = ${expiresAt('$3')}
WHERE key = $1 AND version = $4::bigint AND ${live}
RETURNING version`,
    ],
    delete: ['delete', `DELETE FROM ${table} WHERE key = $1`],
    // Live keys starting with $1, after $2 in key order, at most $3.
    scan: [
      'scan',
      `SELECT key FROM ${table} WHERE starts_with(key, $1) AND key > $2 AND ${live}
ORDER BY key LIMIT $3`,
    ],
    // Locks expired rows (skipping any a claim holds), then deletes those still expired.
    deleteExpired: [
      'deleteExpired',
      `DELETE FROM ${table} WHERE expires_at <= now() AND key IN (
  SELECT key FROM ${table} WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
)`,
    ],
  }
  const prepared = {} as Record<Operation, Statement>
  for (const [operation, [label, text]] of Object.entries(texts) as Array<
    [Operation, [string, string]]
  >) {
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16)
    prepared[operation] = { name: `paywire_${digest}`, text, label }
  }
  return prepared
}
