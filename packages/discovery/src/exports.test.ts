// The public surface of @paywire/discovery: this snapshot changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as express from './bindings/express.js'
import * as fastify from './bindings/fastify.js'
import * as hono from './bindings/hono.js'
import * as node from './bindings/node.js'
import * as discovery from './index.js'

describe('@paywire/discovery exports', () => {
  it('exports these namespaces, members and bindings', () => {
    const surface = Object.fromEntries(
      Object.entries(discovery).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
    const bindings = { express, fastify, hono, node }
    expect(
      Object.fromEntries(
        Object.entries(bindings).map(([name, module]) => [name, Object.keys(module).sort()]),
      ),
    ).toMatchSnapshot()
  })
})
