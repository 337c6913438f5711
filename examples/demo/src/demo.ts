// One paid request, end to end, in one process: a server issues a bound challenge, a
// client answers it with the test method, the server verifies and settles it and
// issues a receipt, then refuses the same credential a second time.
import { Challenge, Credential, Expires, Receipt, Secret } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'

/** One line of the demo's story: a title and what it shows. */
export type Step = { title: string; lines: string[] }

/** Runs the demo and returns what happened, step by step. */
export async function run(): Promise<Step[]> {
  const steps: Step[] = []
  const secret = Secret.from(Secret.generate())
  const sharedKey = Secret.generate()
  const serverMethod = TestMethod.server({ key: sharedKey })
  const clientMethod = TestMethod.client({ key: sharedKey, source: 'did:example:demo-agent' })
  const claimed = new Set<string>()

  // 1. The server answers an unpaid request with a challenge.
  const request = await serverMethod.request({ amount: '1000', currency: 'usd' })
  const issued = Challenge.from(
    {
      realm: 'demo.paywire.local',
      method: serverMethod.method,
      intent: serverMethod.intent,
      request,
      expires: Expires.inSeconds(300),
      description: 'Weather report',
      opaque: { route: 'GET /weather' },
    },
    { secret },
  )
  const wwwAuthenticate = Challenge.serialize(issued)
  steps.push({
    title: '402 Payment Required',
    lines: [
      `WWW-Authenticate: ${wwwAuthenticate}`,
      `decoded request: ${JSON.stringify(Challenge.decodeRequest(issued))}`,
    ],
  })

  // 2. The client parses the challenge, checks it, and pays it.
  const challenge = Challenge.deserialize(wwwAuthenticate)
  Expires.assert(challenge.expires ?? '')
  const paid = await clientMethod.createCredential({
    challenge,
    request: clientMethod.requestSchema.parse(Challenge.decodeRequest(challenge)),
  })
  const authorization = Credential.toAuthorization(Credential.from({ challenge, ...paid }))
  steps.push({
    title: 'Client pays and retries',
    lines: [
      `Authorization: ${authorization.slice(0, 60)}… (${authorization.length} chars)`,
      `decoded credential: ${JSON.stringify(Credential.fromAuthorization(authorization))}`,
    ],
  })

  // 3. The server verifies the binding, the expiry and the proof, then issues a receipt.
  const settle = async (header: string) => {
    const credential = Credential.fromAuthorization(header)
    if (!credential) throw new Credential.MalformedCredentialError('no Payment credential')
    if (!Challenge.verify(credential.challenge, { secret }))
      throw new Challenge.UnboundChallengeError('challenge is not bound to this server')
    Expires.assert(credential.challenge.expires ?? '')
    return serverMethod.verify({
      credential: { ...credential, payload: TestMethod.payloadSchema.parse(credential.payload) },
      challenge: credential.challenge,
      request: serverMethod.requestSchema.parse(Challenge.decodeRequest(credential.challenge)),
      context: {
        now: Date.now,
        async claim(key) {
          if (claimed.has(key)) return false
          claimed.add(key)
          return true
        },
      },
    })
  }
  const receipt = await settle(authorization)
  const receiptHeader = Receipt.serialize(receipt)
  steps.push({
    title: '200 OK',
    lines: [
      `Payment-Receipt: ${receiptHeader}`,
      `decoded receipt: ${JSON.stringify(Receipt.deserialize(receiptHeader))}`,
    ],
  })

  // 4. The same credential again: single use.
  const replay = await settle(authorization).then(
    () => 'accepted (this would be a bug)',
    (error: Error) => `refused: ${error.message}`,
  )
  steps.push({ title: 'Replay of the same credential', lines: [replay] })
  return steps
}
