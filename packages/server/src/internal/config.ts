// The checked server configuration and checked routes, shared by the core's modules.
import type { Method, Secret, Store } from '@paywire/core'
import type { Hooks, LogEntry, Route, SettleMode, Tracer } from '../Paywire.js'
import type * as Idempotency from './idempotency.js'

/** @internal The checked configuration. */
export type Config = {
  realm: string
  secret: Secret.Secret
  previousSecrets: Secret.Secret[]
  // biome-ignore lint/suspicious/noExplicitAny: see create.Options.methods
  methods: ReadonlyArray<Method.Server<any, any, any>>
  store: Store.Store
  expiresIn: number
  skewSeconds: number
  maxBodyBytes: number
  idempotency: Idempotency.Settings | undefined
  hooks: Hooks
  log: (entry: LogEntry) => void
  now: () => number
  tracer: Tracer | undefined
  plaintext: 'loopback' | 'refuse' | 'allow'
  trustForwardedProto: boolean
  /** `Retry-After` seconds on every 402, or undefined to send none. */
  retryAfter: number | undefined
  /** Payment records (see `PaymentsOptions`). */
  payments: { leaseSeconds: number; recordTtlSeconds: number; unclaimedAfterSeconds: number }
}

/** @internal A route with its offers resolved. */
export type CheckedRoute = Route & {
  // biome-ignore lint/suspicious/noExplicitAny: see create.Options.methods
  offers: ReadonlyArray<Method.Server<any, any, any>>
  settle: SettleMode
  expiresIn: number
}
