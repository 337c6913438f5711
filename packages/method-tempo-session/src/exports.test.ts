// The public surface of @paywire/method-tempo-session: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as session from './index.js'

describe('@paywire/method-tempo-session exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(session).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
