// The public surface of @paywire/method-tempo: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as tempo from './index.js'

describe('@paywire/method-tempo exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(tempo).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
