// Checks made when the server starts or a route is mounted, so that a configuration that
// cannot take payments fails then rather than at the first paid request: a static price
// every offered method must turn into a valid request, and a process-local store behind a
// server that runs as several processes (each would keep its own claims: one credential
// could pay once per process) is reported at startup.
import type { Method, Store } from '@paywire/core'
import { ConfigurationError, type LogEntry, type Route } from '../Paywire.js'

/**
 * @internal Refuses a static price that a method cannot turn into a request its schema
 * accepts. A method whose `request` is asynchronous is checked on each challenge instead.
 */
export function checkStaticPrice(
  route: Route,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  offers: ReadonlyArray<Method.Server<any, any, any>>,
): void {
  if (typeof route.price === 'function') return
  for (const method of offers) {
    let request: unknown
    try {
      request = method.request(route.price, { settle: route.settle ?? 'before-handler' })
    } catch (cause) {
      throw new ConfigurationError(
        `the route's price does not give ${method.method}/${method.intent} a valid request`,
        { cause },
      )
    }
    if (request instanceof Promise) {
      // Checked per challenge; a rejection here must not go unhandled.
      request.catch(() => undefined)
      continue
    }
    const parsed = method.requestSchema.safeParse(request)
    if (!parsed.success || request === null || typeof request !== 'object')
      throw new ConfigurationError(
        `the route's price does not give ${method.method}/${method.intent} a valid request`,
        { cause: parsed.error },
      )
  }
}

/**
 * @internal Warns when a process-local store (`scope: 'process'`) serves a server that
 * runs as several processes: a Node cluster worker (`NODE_UNIQUE_ID`), a PM2 instance
 * (`NODE_APP_INSTANCE`), or `PAYWIRE_INSTANCES` above 1.
 */
export function warnLocalStore(store: Store.Store, log: (entry: LogEntry) => void): void {
  if (store.scope !== 'process') return
  const env =
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
  const instances = Number(env.PAYWIRE_INSTANCES ?? '1')
  const reason =
    env.NODE_UNIQUE_ID !== undefined
      ? 'this process is a Node cluster worker'
      : env.NODE_APP_INSTANCE !== undefined
        ? 'this process is one of several PM2 instances'
        : instances > 1
          ? `PAYWIRE_INSTANCES is ${instances}`
          : undefined
  if (reason === undefined) return
  log({
    level: 'warn',
    event: 'error',
    message: `${reason}, but the store keeps its claims in this process only: each process would accept a credential once; use a shared store (Redis, PostgreSQL)`,
    route: '*',
    code: 'ERR_PAYWIRE_STORE_LOCAL',
  })
}
