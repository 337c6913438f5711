// Idempotency keys of the local Stripe API, with Stripe's v1 rules: the first request
// made with a key saves its status and body once its endpoint began executing; a retry
// with the same key and the same endpoint and parameters gets that saved answer again
// (`Idempotent-Replayed: true`); the same key with anything else is an `idempotency_error`;
// a request made with the key while the first is still running gets 409
// (`idempotency_key_in_use`); a request refused before its endpoint began (validation)
// saves nothing.

/** @internal One key's record. */
export type Idempotency = { fingerprint: string; inFlight: boolean; status: number; body: unknown }

/** @internal Runs `run` at most once per key and parameters; see the module comment. */
export async function handleIdempotent(
  cache: Map<string, Idempotency>,
  parameters: {
    scope: string
    fingerprint: string
    run(): Promise<{ status: number; body: unknown; saved: boolean }>
  },
): Promise<{ status: number; body: unknown; replayed: boolean }> {
  const { scope, fingerprint } = parameters
  const key = scope.slice(scope.lastIndexOf('|') + 1)
  const existing = cache.get(scope)
  if (existing !== undefined) {
    if (existing.inFlight)
      return refusal(
        409,
        `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): '${key}'. Please try again later.`,
        'idempotency_key_in_use',
      )
    if (existing.fingerprint !== fingerprint)
      return refusal(
        400,
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      )
    return { status: existing.status, body: existing.body, replayed: true }
  }
  const record: Idempotency = { fingerprint, inFlight: true, status: 0, body: undefined }
  cache.set(scope, record)
  let answer: Awaited<ReturnType<typeof parameters.run>>
  try {
    answer = await parameters.run()
  } catch (error) {
    cache.delete(scope)
    throw error
  }
  if (!answer.saved) cache.delete(scope)
  else Object.assign(record, { inFlight: false, status: answer.status, body: answer.body })
  return { status: answer.status, body: answer.body, replayed: false }
}

function refusal(status: number, message: string, code?: string) {
  return {
    status,
    body: {
      error: { type: 'idempotency_error', message, ...(code === undefined ? {} : { code }) },
    },
    replayed: false,
  }
}
