// @paywire/client: a fetch that pays HTTP 402 Payment challenges on its own, under a
// spending policy enforced atomically, with a ledger of every payment.
export * as Budget from './Budget.js'
export * as Challenges from './Challenges.js'
export * as Client from './Client.js'
export * as Fetch from './Fetch.js'
export * as Ledger from './Ledger.js'
export * as Policy from './Policy.js'
export * as Quote from './Quote.js'
