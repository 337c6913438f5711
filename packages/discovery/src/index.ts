// @paywire/discovery: service discovery for the "Payment" scheme (draft-payment-discovery).
// The document, its extensions and its parser; bindings live in the `./node`, `./express`,
// `./fastify` and `./hono` subpath exports.
export * as Discovery from './Discovery.js'
export * as PaymentInfo from './PaymentInfo.js'
export * as ServiceInfo from './ServiceInfo.js'
