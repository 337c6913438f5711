// The public surface of @paywire/escrow: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as escrow from './index.js'

describe('@paywire/escrow exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(escrow).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
