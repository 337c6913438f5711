// The payment flow of a paid tool over MCP (draft-payment-transport-mcp §"Signaling
// Payment Required", §"Payment Receipt", §"Replay Protection"): a challenge without a
// credential, a receipt for a paid result, and a credential that pays once.
import { Wire } from '@paywire/mcp'
import { type Check, define, describe, Failure, isPaidResult, pay, paying } from '../Check.js'

const required = define({
  id: 'mcp.challenge.required',
  title: 'A paid tool called without a credential is answered -32042 with its challenges',
  level: 'MUST',
  requirements: ['mcp.challenge.code', 'mcp.challenge.data-challenges', 'mcp.challenge.fields'],
  needs: [],
  tags: ['mcp'],
  async run(context) {
    const session = await context.open()
    const { name, arguments: args } = context.config.tools.paid
    const answer = await session.call(name, args)
    if (answer.error?.code !== -32042)
      throw new Failure(`an unpaid call of ${name} got ${describe(answer)}, expected -32042`)
    const challenges = (answer.error.data as { challenges?: unknown } | undefined)?.challenges
    if (!Array.isArray(challenges) || challenges.length === 0)
      throw new Failure('the -32042 error data holds no challenges array')
    for (const challenge of challenges)
      if (!Wire.challengeSchema.safeParse(challenge).success)
        throw new Failure(`a challenge misses a required member: ${JSON.stringify(challenge)}`)
    return undefined
  },
})

const receipt = define({
  id: 'mcp.receipt.paid',
  title: 'A paid call is answered with its result and a receipt naming the challenge',
  level: 'MUST',
  requirements: [
    'mcp.receipt.key',
    'mcp.receipt.every-paid-success',
    'mcp.receipt.fields',
    'mcp.receipt.status-success',
  ],
  needs: ['payment'],
  tags: ['mcp'],
  async run(context) {
    const session = await context.open()
    const { name, arguments: args } = context.config.tools.paid
    const credential = await pay(context, await session.call(name, args))
    const answer = await session.call(name, args, paying(credential))
    if (!isPaidResult(answer))
      throw new Failure(`the paid call got ${describe(answer)} and no receipt`)
    const parsed = Wire.receiptSchema.safeParse(answer.result?._meta?.[Wire.receiptKey])
    if (!parsed.success) throw new Failure('the receipt misses a required member')
    if (parsed.data.challengeId !== credential.challenge.id)
      throw new Failure('the receipt names another challenge than the one paid')
    return undefined
  },
})

const replay = define({
  id: 'mcp.replay.sequential',
  title: 'A credential that paid once is refused (-32043) when presented again',
  level: 'MUST',
  requirements: ['mcp.replay.used', 'mcp.errors.map.verification-failed'],
  needs: ['payment'],
  tags: ['mcp', 'replay'],
  async run(context) {
    const session = await context.open()
    const { name, arguments: args } = context.config.tools.paid
    const credential = await pay(context, await session.call(name, args))
    const first = await session.call(name, args, paying(credential))
    if (!isPaidResult(first)) throw new Failure(`the paid call got ${describe(first)}`)
    const again = await session.call(name, args, paying(credential))
    if (again.error?.code !== -32043)
      throw new Failure(
        `the same credential presented again got ${describe(again)}, expected -32043`,
      )
    return undefined
  },
})

/** The basic checks, in run order. */
export const checks: readonly Check[] = [required, receipt, replay]
