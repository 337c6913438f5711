// Whether the Redis behind a store may evict keys (maxmemory-policy other than
// `noeviction`): a claim evicted before it expires is a used challenge forgotten, so a
// replay. Read from `INFO memory` (allowed where CONFIG is disabled, as on managed Redis).
import { Store } from '@paywire/core'
import type { Redis } from 'ioredis'

/** What the store does on an evicting Redis. */
export type Policy = 'refuse' | 'warn'

/**
 * @internal Checks the server's eviction policy. `refuse`: rejects with
 * Store.UnavailableError (every operation fails closed until it is `noeviction`); `warn`:
 * calls `warn` once per connection and goes on.
 */
export async function check(client: Redis, policy: Policy, warn: (message: string) => void) {
  const info = await client.info('memory')
  const found = /^maxmemory_policy:(\S+)/m.exec(info)?.[1]
  if (found === 'noeviction') return
  const message = `redis may evict keys (maxmemory-policy ${found ?? 'unknown'}): an evicted claim lets a used challenge pay again; set maxmemory-policy noeviction`
  if (policy === 'warn') warn(message)
  else throw new Store.UnavailableError(message)
}
