// The public surface of @paywire/server and its bindings: changes only on purpose.
import { describe, expect, it } from 'vitest'
import * as express from './bindings/express.js'
import * as fastify from './bindings/fastify.js'
import * as hono from './bindings/hono.js'
import * as node from './bindings/node.js'
import * as server from './index.js'

describe('@paywire/server exports', () => {
  it('exports these namespaces, members and bindings', () => {
    const surface = Object.fromEntries(
      Object.entries(server).map(([name, namespace]) => [name, Object.keys(namespace).sort()]),
    )
    expect(surface).toMatchSnapshot()
    expect({
      node: Object.keys(node).sort(),
      express: Object.keys(express).sort(),
      fastify: Object.keys(fastify).sort(),
      hono: Object.keys(hono).sort(),
    }).toMatchSnapshot()
  })
})
