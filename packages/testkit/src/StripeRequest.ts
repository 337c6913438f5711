// One request to the local Stripe API (StripeServer.ts), as Stripe handles it: the secret
// key, a released `Stripe-Version`, `Stripe-Account`, an `Idempotency-Key` of at most 255
// characters, then the scripted fault, then the endpoint under its idempotency key (a
// second request with the key while the first is in flight gets 409; a 500 that happens
// mid-request is saved and replayed), then the answer, held back for a `timeout` fault.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError, invalid } from './StripeApiError.js'
import * as StripeForm from './StripeForm.js'
import {
  authenticate,
  canonical,
  errorBody,
  hold,
  parseParams,
  readBody,
  send,
} from './StripeHttp.js'
import { handleIdempotent } from './StripeIdempotency.js'
import { type Answer, type Call, nextFault, run, type State, tokenOf } from './StripeRoutes.js'
import type { Fault, RecordedRequest } from './StripeTypes.js'
import * as Versions from './StripeVersions.js'

/** @internal Answers one HTTP request. */
export async function handle(state: State, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1')
  const raw = await readBody(request)
  const header = (name: string) => {
    const value = request.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  const record: RecordedRequest = {
    method: request.method ?? 'GET',
    path: url.pathname,
    params: {},
    apiVersion: header('stripe-version'),
    stripeAccount: header('stripe-account'),
    idempotencyKey: header('idempotency-key'),
    auth: undefined,
    status: 0,
    replayed: false,
    fault: undefined,
  }
  state.requests.push(record)
  const headers: Record<string, string> = {}
  const reply = (status: number, body: unknown) => {
    record.status = status
    send(response, status, body, headers)
  }
  try {
    const call = admit(state, record, header('authorization'), { raw, url, headers })
    const fault = inject(state, call, record, headers)
    const answer = await execute(state, call, record, headers, fault)
    if (fault === 'timeout') await hold(response, state.hangMs)
    if (!response.destroyed) reply(answer.status, answer.body)
  } catch (error) {
    if (error instanceof ApiError) reply(error.status, { error: error.body })
    else if (error instanceof StripeForm.InvalidFormError)
      reply(400, errorBody('invalid_request_error', error.message))
    else throw error
  }
}

/** Authenticates the key, checks the headers, reads the parameters. */
function admit(
  state: State,
  record: RecordedRequest,
  authorization: string | undefined,
  input: { raw: string; url: URL; headers: Record<string, string> },
): Call {
  const { caller, auth } = authenticate(state.byKey, authorization)
  record.auth = auth
  const apiVersion = record.apiVersion ?? state.defaultApiVersion
  if (!Versions.isKnown(apiVersion, state.extraApiVersions))
    throw invalid(
      `Invalid Stripe API version: ${apiVersion}. Use a released API version (see https://docs.stripe.com/upgrades).`,
      undefined,
      'api_version_invalid',
    )
  input.headers['stripe-version'] = apiVersion
  if (record.idempotencyKey !== undefined && record.idempotencyKey.length > 255)
    throw invalid(
      `The Idempotency-Key is ${record.idempotencyKey.length} characters long; keys can be up to 255 characters.`,
      undefined,
      'idempotency_key_invalid',
    )
  if (record.stripeAccount !== undefined) {
    if (!(caller.connectedAccounts ?? []).includes(record.stripeAccount))
      throw new ApiError(403, {
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key does not have access to account '${record.stripeAccount}' (or that account does not exist).`,
      })
    input.headers['stripe-account'] = record.stripeAccount
  }
  record.params = parseParams(record.method, input.raw, input.url)
  return {
    method: record.method,
    path: record.path,
    params: record.params,
    caller,
    account: record.stripeAccount ?? caller.id,
    apiVersion,
  }
}

/** Applies the next scripted fault: 429 and 500 are thrown before anything runs. */
function inject(
  state: State,
  call: Call,
  record: RecordedRequest,
  headers: Record<string, string>,
): Fault | undefined {
  const fault = nextFault(state, call)
  record.fault = fault
  if (fault === 'rate_limit')
    throw new ApiError(429, {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. Retry with exponential backoff.',
    })
  if (fault === 'server_error') {
    headers['stripe-should-retry'] = 'true'
    throw new ApiError(500, {
      type: 'api_error',
      message: 'An unknown error occurred before the request was processed.',
    })
  }
  return fault
}

/** Runs the endpoint (after a scripted pause), under the idempotency key of a POST. */
async function execute(
  state: State,
  call: Call,
  record: RecordedRequest,
  headers: Record<string, string>,
  fault: Fault | undefined,
): Promise<{ status: number; body: unknown }> {
  const perform = async (): Promise<Answer> => {
    const token = tokenOf(state, call)
    const gate = token === undefined ? undefined : state.gates.get(token)
    if (gate !== undefined) await gate.opened
    const answer = run(state, call)
    // The endpoint ran; its answer is lost to a 500, which Stripe saves for the key.
    if (fault === 'server_error_saved')
      return {
        status: 500,
        body: errorBody('api_error', 'An unknown error occurred while processing the request.'),
        saved: true,
      }
    return answer
  }
  const key = record.idempotencyKey
  if (key === undefined || call.method !== 'POST') return perform()
  headers['idempotency-key'] = key
  const answer = await handleIdempotent(state.idempotency, {
    scope: `${call.caller.id}|${call.account}|${key}`,
    fingerprint: `${call.method} ${call.path} ${canonical(call.params)}`,
    run: perform,
  })
  if (answer.replayed) {
    record.replayed = true
    headers['idempotent-replayed'] = 'true'
  }
  return answer
}
