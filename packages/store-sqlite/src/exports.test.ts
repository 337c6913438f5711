// The public surface of @paywire/store-sqlite: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as storeSqlite from './index.js'

describe('@paywire/store-sqlite exports', () => {
  it('exports these namespaces and members', () => {
    expect(
      Object.fromEntries(
        Object.entries(storeSqlite).map(([name, namespace]) => [
          name,
          Object.keys(namespace).sort(),
        ]),
      ),
    ).toMatchSnapshot()
  })
})
