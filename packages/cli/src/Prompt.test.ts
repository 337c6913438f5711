// Questions on a terminal: the passphrase is read without echo, and a payment waits for
// an explicit yes. Run on a pseudo-terminal through util-linux `script` (Linux only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasScript, home, onTerminal, referenceServer } from './test/run.js'

const passphrase = 'correct horse battery staple'
let server: Awaited<ReturnType<typeof referenceServer>> | undefined

beforeAll(async () => {
  if (hasScript) server = await referenceServer('--realm', 'paywire.reference')
})
afterAll(() => server?.stop())

describe.skipIf(!hasScript)('on a terminal', () => {
  it('reads a new passphrase twice without echoing it', async () => {
    const run = await onTerminal(
      ['account', 'create', 'alice', '--home', home()],
      [
        [/Keystore passphrase: $/, `${passphrase}\r`],
        [/Repeat the passphrase: $/, `${passphrase}\r`],
      ],
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('created alice: 0x')
    expect(run.stdout).not.toContain(passphrase)
  })

  it('pays after a "y" at the confirmation, and pays nothing after anything else', async () => {
    const dir = home()
    const args = [
      `${server?.url}/paid`,
      '--home',
      dir,
      '--test-key',
      'paywire-reference-test-method-key',
      '--allow-realm',
      'paywire.reference',
      '--max-amount',
      '1000:usd',
      '--budget',
      '3000:usd/day',
    ]
    const question =
      /Pay 10\.00 USD to reference for http:\/\/127\.0\.0\.1:\d+\/paid \(test\/charge\)\? \(20\.00 USD of 30\.00 USD left this day after it\) \[y\/N\] $/
    const declined = await onTerminal(args, [[question, 'n\r']])
    expect(declined.code).toBe(3)
    expect(declined.stdout).toContain('payment declined at the confirmation; nothing was paid')
    const paid = await onTerminal(args, [[question, 'y\r']])
    expect(paid.code).toBe(0)
    expect(paid.stdout).toContain('paid 10.00 USD to reference with test/charge (settled)')
  })
})
