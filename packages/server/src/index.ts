// @paywire/server: protect HTTP routes with the "Payment" authentication scheme. The
// fetch-style core; bindings live in the `./node`, `./express`, `./fastify` and `./hono`
// subpath exports.
export * as Payments from './Payments.js'
export * as Paywire from './Paywire.js'
export * as Redact from './Redact.js'
export * as Route from './Route.js'
