// The strings RFC 8785 writes with no escape (§3.2.2.2): shared by Json.canonicalize and
// the fast path of Receipt.serialize, so that both write them by the same rule.

/**
 * @internal Printable ASCII but `"` and `\`: serialized as they are, between quotes
 * (JSON.stringify's output for them). Most wire strings are made of these.
 */
export const plainText = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
