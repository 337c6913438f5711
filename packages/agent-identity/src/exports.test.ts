// The public surface of @paywire/agent-identity: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as identity from './index.js'

describe('@paywire/agent-identity exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(identity).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
