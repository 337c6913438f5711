// OpenTelemetry tracing of decisions (optional): one `paywire.charge` span each, with the
// route, the outcome and the challenge it concerns, never credential content.
import type { Result, Span } from '../Paywire.js'
import type { Config } from './config.js'

/** @internal Starts the span of a decision, if a tracer is configured. */
export function startSpan(config: Config, request: Request, routeKey: string): Span | undefined {
  try {
    return config.tracer?.startSpan('paywire.charge', {
      attributes: { 'http.request.method': request.method, 'paywire.route': routeKey },
    })
  } catch {
    // A failing tracer must not change a payment decision.
    return undefined
  }
}

/** @internal Ends the span of a decision with what was decided, never credential content. */
export function record(span: Span, request: Request, result: Result): void {
  if (result.kind === 'paid') {
    span.setAttribute('paywire.outcome', 'paid')
    span.setAttribute('paywire.challenge_id', result.payment.challengeId)
    span.setAttribute('paywire.method', result.payment.method)
    span.setAttribute('paywire.intent', result.payment.intent)
  } else {
    const status = result.response.status
    const replayed = result.response.headers.get('idempotent-replayed') === 'true'
    const outcome = replayed
      ? 'replayed'
      : status === 402 &&
          !request.headers.has('authorization') &&
          !request.headers.has('payment-authorization')
        ? 'challenge'
        : 'refused'
    span.setAttribute('paywire.outcome', outcome)
    span.setAttribute('http.response.status_code', status)
    if (status >= 500) span.setStatus({ code: 2, message: `answered ${status}` })
  }
  span.end()
}
