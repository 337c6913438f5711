// The public surface of @paywire/cli: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as cli from './index.js'

describe('@paywire/cli exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(cli).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
