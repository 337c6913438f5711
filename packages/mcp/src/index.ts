// @paywire/mcp: the "Payment" scheme over JSON-RPC and MCP (draft-payment-transport-mcp).
// Paid operations for @modelcontextprotocol/sdk servers, and a client that pays them.
export * as Payer from './Payer.js'
export * as Payments from './Payments.js'
export * as RpcError from './RpcError.js'
export * as Wire from './Wire.js'
