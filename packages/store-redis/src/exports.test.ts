// The public surface of @paywire/store-redis: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as storeRedis from './index.js'

describe('@paywire/store-redis exports', () => {
  it('exports these namespaces and members', () => {
    expect(
      Object.fromEntries(
        Object.entries(storeRedis).map(([name, namespace]) => [
          name,
          Object.keys(namespace).sort(),
        ]),
      ),
    ).toMatchSnapshot()
  })
})
