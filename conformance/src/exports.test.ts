// The public surface of @paywire/conformance and its arbitraries subpath: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as arbitraries from './arbitraries.js'
import * as conformance from './index.js'

describe('@paywire/conformance exports', () => {
  it('exports these namespaces and members, and these arbitraries', () => {
    const surface = Object.fromEntries(
      Object.entries(conformance).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
    expect(Object.keys(arbitraries).sort()).toMatchSnapshot()
  })
})
