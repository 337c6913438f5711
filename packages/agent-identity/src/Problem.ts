// The problem types (RFC 9457) of agent identity: why a request's Web Bot Auth signature
// was refused. The drafts (draft-ietf-webbotauth-httpsig-protocol-01) define outcomes,
// not problem types, so these live under paywire's own URI; one table, read by every
// error of this package.
import type { Problem as CoreProblem } from '@paywire/core'

/** Base URI under which every agent-identity problem type lives. */
export const baseUri = 'https://paywire.dev/problems/agent-identity/'

/**
 * Every agent-identity problem type, keyed by slug. `outcome` is the verifier outcome of
 * the draft's deployment guidance (§"Verifier Outcomes"): `invalid` (the signature,
 * covered components, key or freshness checks fail) or `unverified` (the verifier could
 * not obtain enough to decide, e.g. key discovery failed).
 */
export const types = {
  'malformed-signature': { title: 'Malformed Signature', status: 400, outcome: 'invalid' },
  'invalid-signature': { title: 'Invalid Signature', status: 403, outcome: 'invalid' },
  'stale-signature': { title: 'Stale Signature', status: 403, outcome: 'invalid' },
  'replayed-signature': { title: 'Replayed Signature', status: 429, outcome: 'invalid' },
  'unknown-key': { title: 'Unknown Agent Key', status: 403, outcome: 'unverified' },
  'directory-unavailable': {
    title: 'Agent Key Directory Unavailable',
    status: 403,
    outcome: 'unverified',
  },
  'signature-required': { title: 'Agent Signature Required', status: 403, outcome: 'unsigned' },
} as const satisfies Record<
  string,
  { title: string; status: number; outcome: 'invalid' | 'unverified' | 'unsigned' }
>

/** A problem type slug, e.g. `replayed-signature`. */
export type Slug = keyof typeof types

/** A problem details object (RFC 9457), the same shape as the Payment scheme's. */
export type Problem = CoreProblem.Problem
