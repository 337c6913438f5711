// An MCP gate and an HTTP paywire with the same realm and secret never accept each other's
// challenges, although the gate's route for a tool (`POST /tools/call/<name>`) is also an
// HTTP path: the gate binds its challenges under a key of its own.
import { Challenge, Credential, Json } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import * as Fixture from './test/fixture.js'
import * as Raw from './test/raw.js'
import * as Wire from './Wire.js'

const store = MemoryStore.create()
const http = Paywire.create({
  realm: Fixture.realm,
  secret: Fixture.secret,
  methods: [TestMethod.server({ key: Fixture.key })],
  allowTestMethods: true,
  store,
})
const route: Paywire.Route = { price: { amount: '100' }, description: 'One forecast' }
const call = { name: 'forecast', arguments: { city: 'Oslo' } }
const payer = TestMethod.client({ key: Fixture.key })

/** The request an HTTP client sends to `POST /tools/call/forecast` with the call as body. */
const httpRequest = (authorization?: string) =>
  new Request(`https://${Fixture.realm}/tools/call/forecast`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: Json.canonicalize(call),
  })

let connection: Fixture.Connection | undefined
afterEach(async () => connection?.close())

describe('an MCP gate beside an HTTP paywire with the same realm and secret {mcp.binding.operation}', () => {
  it('refuses a credential for the HTTP route of the same path and body', async () => {
    connection = await Fixture.inMemory({ store })
    const offered = await http.charge(httpRequest(), route)
    expect(offered.kind === 'response' && offered.response.status).toBe(402)
    const header = (offered as Paywire.Result.Response).response.headers.get('www-authenticate')
    const challenge = Challenge.deserializeList(header ?? '')[0] as Challenge.Challenge
    const { payload } = await payer.createCredential({
      challenge,
      request: Challenge.decodeRequest(challenge) as never,
    })
    const credential = { challenge: Wire.toJsonChallenge(challenge), payload }
    const raw = await Raw.open(await connection.open())
    const answer = await raw.call('forecast', call.arguments, Raw.paying(credential))
    expect(answer.error?.code).toBe(-32043)
    expect(connection.effects.snapshot().runs.forecast).toBeUndefined()
  })

  it('is refused by the HTTP paywire with a credential the gate issued', async () => {
    connection = await Fixture.inMemory({ store })
    const raw = await Raw.open(await connection.open())
    const credential = await Raw.pay(await raw.call('forecast', call.arguments))
    const authorization = Credential.toAuthorization(Wire.fromJsonCredential(credential))
    const result = await http.charge(httpRequest(authorization), route)
    expect(result.kind).toBe('response')
    expect((result as Paywire.Result.Response).response.status).toBe(402)
  })
})
