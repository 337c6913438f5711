// @paywire/agent-identity: know your agent. Web Bot Auth (draft-ietf-webbotauth-httpsig-
// protocol-01): HTTP Message Signatures (RFC 9421) over requests, the Signature-Agent
// field, JWKS key directories and Signature Agent Cards (draft-meunier-webbotauth-registry).
export * as Algorithm from './Algorithm.js'
export * as Card from './Card.js'
export * as Component from './Component.js'
export * as Directory from './Directory.js'
export * as Jwk from './Jwk.js'
export * as MessageSignature from './MessageSignature.js'
export * as Problem from './Problem.js'
export * as Resolver from './Resolver.js'
export * as SignatureAgent from './SignatureAgent.js'
export * as SignatureBase from './SignatureBase.js'
export * as SignatureFields from './SignatureFields.js'
export * as Signer from './Signer.js'
export * as Verifier from './Verifier.js'
