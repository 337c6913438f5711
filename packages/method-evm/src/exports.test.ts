// The public surface of @paywire/method-evm: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as client from './client/index.js'
import * as evm from './index.js'
import * as server from './server/index.js'

const surface = (module: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(module).map(([name, value]) => [
      name,
      typeof value === 'function' ? 'function' : Object.keys(value as object).sort(),
    ]),
  )

describe('@paywire/method-evm exports', () => {
  it('exports these namespaces and members', () => {
    expect({
      '.': surface(evm),
      './server': surface(server),
      './client': surface(client),
    }).toMatchSnapshot()
  })
})
