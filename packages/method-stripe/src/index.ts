// @paywire/method-stripe: the Stripe payment method (draft-stripe-charge-00): card and
// wallet charges paid with Stripe Shared Payment Tokens.
export * as ChargePayload from './ChargePayload.js'
export * as ChargeRequest from './ChargeRequest.js'
export * as Client from './Client.js'
export * as Connect from './Connect.js'
export * as IssuedTokens from './IssuedTokens.js'
export * as PaymentIntents from './PaymentIntents.js'
export * as Reconcile from './Reconcile.js'
export * as Server from './Server.js'
export * as Settlement from './Settlement.js'
export * as StripeApi from './StripeApi.js'
export * as Token from './Token.js'
