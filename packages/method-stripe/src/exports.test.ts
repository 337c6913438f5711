// The public surface of @paywire/method-stripe: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as stripe from './index.js'

describe('@paywire/method-stripe exports', () => {
  it('exports these namespaces and members', () => {
    const surface = Object.fromEntries(
      Object.entries(stripe).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
  })
})
