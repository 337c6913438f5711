// The public surface of @paywire/client: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as client from './index.js'

describe('@paywire/client exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(client).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
