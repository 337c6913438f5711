// The public surface of @paywire/mcp: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as mcp from './index.js'

describe('@paywire/mcp exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(mcp).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
