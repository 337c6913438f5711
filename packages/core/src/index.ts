// @paywire/core: the wire protocol of the HTTP "Payment" authentication scheme.
export * as Base64Url from './Base64Url.js'
export * as Errors from './Errors.js'
export * as Json from './Json.js'
export * as Problem from './Problem.js'
