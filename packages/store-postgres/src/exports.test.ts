// The public surface of @paywire/store-postgres: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as storePostgres from './index.js'

describe('@paywire/store-postgres exports', () => {
  it('exports these namespaces and members', () => {
    expect(
      Object.fromEntries(
        Object.entries(storePostgres).map(([name, namespace]) => [
          name,
          Object.keys(namespace).sort(),
        ]),
      ),
    ).toMatchSnapshot()
  })
})
