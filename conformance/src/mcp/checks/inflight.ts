// A paid request in flight (draft-payment-transport-mcp §"Replay Protection"): once its
// handler runs, the challenge it paid is used, whatever the client does meanwhile: send
// another request with the same JSON-RPC id, cancel it, or end its session. A credential
// that a server releases then pays for the handler again, or its side effect goes unpaid.

import { type Check, type Context, define, describe, Failure, pay, paying } from '../Check.js'
import type { Config } from '../Config.js'
import type * as Session from '../Session.js'

type AfterSuccess = NonNullable<Config['tools']['afterSuccess']>

/** Pays the after-success tool and sends the paid call as `id`, waiting for its progress. */
async function inFlight(context: Context, session: Session.Session, id: string) {
  const tool = context.config.tools.afterSuccess as AfterSuccess
  const credential = await pay(context, await session.call(tool.name, tool.arguments))
  const progressToken = `${id}-progress`
  await session.send(
    'tools/call',
    {
      name: tool.name,
      arguments: tool.arguments,
      _meta: paying(credential, tool.progress ? { progressToken } : {}),
    },
    id,
  )
  // The handler is running once it reports progress (when the target reports it).
  if (tool.progress)
    await session.next(
      (message) =>
        message.method === 'notifications/progress' &&
        message.params?.progressToken === progressToken,
      'the progress of the paid call',
    )
  return { tool, credential }
}

/** Lets held handlers finish, then presents the credential again: it must be refused. */
async function replayRefused(
  context: Context,
  session: Session.Session,
  tool: AfterSuccess,
  credential: Awaited<ReturnType<typeof pay>>,
  what: string,
): Promise<void> {
  const release = context.config.tools.release
  if (release !== undefined) await session.call(release.name, release.arguments)
  const again = await session.call(tool.name, tool.arguments, paying(credential))
  if (again.result !== undefined)
    throw new Failure(`${what}, the same credential ran the paid tool again (${describe(again)})`)
  if (again.error?.code !== -32043)
    throw new Failure(
      `${what}, the credential presented again got ${describe(again)}, expected -32043`,
    )
}

/** What every in-flight check checks and needs. */
const inFlightTest = {
  level: 'MUST',
  requirements: ['mcp.replay.used'],
  needs: ['payment', 'mcp:after-success'],
  tags: ['mcp', 'replay'],
} as const

const reusedId = define({
  id: 'mcp.ids.reused-in-flight',
  title: 'Another request with the id of a paid request in flight never frees its payment',
  ...inFlightTest,
  async run(context) {
    const session = await context.open()
    const id = 'conformance-reused'
    const { tool, credential } = await inFlight(context, session, id)
    // A request that fails, sent with the id of the paid one while it runs.
    await session.send(
      'tools/call',
      { name: 'paywire-conformance-no-such-tool', arguments: {} },
      id,
    )
    await session.next(
      (message) => message.id === id && message.method === undefined,
      'an answer for the reused id',
    )
    await replayRefused(
      context,
      session,
      tool,
      credential,
      'after a request reused the id of the paid call',
    )
    return undefined
  },
})

/**
 * Starts the paid call, interrupts it with `interrupt` (which resolves the session to go on
 * with), and checks that the credential is refused again.
 */
async function interrupted(
  context: Context,
  id: string,
  what: string,
  interrupt: (session: Session.Session) => Promise<Session.Session>,
): Promise<undefined> {
  const session = await context.open()
  const { tool, credential } = await inFlight(context, session, id)
  await replayRefused(context, await interrupt(session), tool, credential, what)
  return undefined
}

const cancelled = define({
  id: 'mcp.settle.cancelled',
  title: 'A paid request cancelled while its handler runs keeps its challenge used',
  ...inFlightTest,
  run: (context) =>
    interrupted(
      context,
      'conformance-cancelled',
      'after the paid call was cancelled',
      async (session) => {
        await session.notify('notifications/cancelled', { requestId: 'conformance-cancelled' })
        return session
      },
    ),
})

const disconnected = define({
  id: 'mcp.settle.disconnected',
  title: 'A paid request whose session ends while its handler runs keeps its challenge used',
  ...inFlightTest,
  run: (context) =>
    interrupted(
      context,
      'conformance-disconnected',
      'after the session of the paid call ended',
      async (session) => {
        await session.end()
        return context.open()
      },
    ),
})

/** The in-flight checks, in run order. */
export const checks: readonly Check[] = [reusedId, cancelled, disconnected]
