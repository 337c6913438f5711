// The registry of Payment problem types: one table, read by Problem.ts (public) and
// Errors.ts (which cannot import Problem.ts without a cycle).

/** @internal Base URI under which every Payment problem type lives. */
export const baseUri = 'https://paymentauth.org/problems/'

/**
 * @internal Every problem type the drafts define, keyed by its slug (the part after {@link baseUri}).
 * Titles follow the published problem registry; statuses follow the drafts.
 */
export const types = {
  'payment-required': { title: 'Payment Required', status: 402, draft: 'draft-httpauth-payment' },
  'payment-insufficient': {
    title: 'Payment Insufficient',
    status: 402,
    draft: 'draft-httpauth-payment',
  },
  'payment-expired': { title: 'Payment Expired', status: 402, draft: 'draft-httpauth-payment' },
  'verification-failed': {
    title: 'Verification Failed',
    status: 402,
    draft: 'draft-httpauth-payment',
  },
  'method-unsupported': {
    title: 'Method Unsupported',
    status: 400,
    draft: 'draft-httpauth-payment',
  },
  'malformed-credential': {
    title: 'Malformed Credential',
    status: 402,
    draft: 'draft-httpauth-payment',
  },
  'invalid-challenge': { title: 'Invalid Challenge', status: 402, draft: 'draft-httpauth-payment' },
  // Added by draft-httpauth-payment-01 §"Error Codes".
  'bad-request': { title: 'Bad Request', status: 400, draft: 'draft-httpauth-payment' },
  'invalid-payload': { title: 'Invalid Payload', status: 402, draft: 'draft-httpauth-payment' },
  'internal-payment-error': {
    title: 'Internal Payment Error',
    status: 500,
    draft: 'draft-httpauth-payment',
  },
  'payment-action-required': {
    title: 'Payment Action Required',
    status: 402,
    draft: 'draft-httpauth-payment',
  },
  'session/invalid-signature': {
    title: 'Invalid Signature',
    status: 402,
    draft: 'draft-tempo-session',
  },
  'session/signer-mismatch': {
    title: 'Signer Mismatch',
    status: 402,
    draft: 'draft-tempo-session',
  },
  'session/amount-exceeds-deposit': {
    title: 'Amount Exceeds Deposit',
    status: 402,
    draft: 'draft-tempo-session',
  },
  'session/delta-too-small': {
    title: 'Delta Too Small',
    status: 402,
    draft: 'draft-tempo-session',
  },
  'session/channel-not-found': {
    title: 'Channel Not Found',
    status: 410,
    draft: 'draft-tempo-session',
  },
  'session/channel-finalized': {
    title: 'Channel Finalized',
    status: 410,
    draft: 'draft-tempo-session',
  },
  'session/challenge-not-found': {
    title: 'Challenge Not Found',
    status: 402,
    draft: 'draft-tempo-session',
  },
  'session/insufficient-balance': {
    title: 'Insufficient Balance',
    status: 402,
    draft: 'draft-tempo-session',
  },
} as const satisfies Record<string, { title: string; status: number; draft: string }>
