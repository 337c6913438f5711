// The public surface of @paywire/core: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as core from './index.js'

describe('@paywire/core exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(core).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
