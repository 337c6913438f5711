// The public surface of @paywire/store-memory: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as storeMemory from './index.js'

describe('@paywire/store-memory exports', () => {
  it('exports these namespaces and members', () => {
    expect(
      Object.fromEntries(
        Object.entries(storeMemory).map(([name, namespace]) => [
          name,
          Object.keys(namespace).sort(),
        ]),
      ),
    ).toMatchSnapshot()
  })
})
