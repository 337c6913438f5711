// The thumbprints of the example keys of RFC 9421 Appendix B.1, which everyone has the
// private halves of: a verifier refuses them unless told it is running test vectors
// (draft-ietf-webbotauth-httpsig-protocol-01 §"Test and Demonstration Keys").

/** @internal Thumbprints of test-key-ed25519, test-key-ecc-p256 and test-key-rsa-pss. */
export const testKeyThumbprints: ReadonlySet<string> = new Set([
  'poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U',
  'ydQXMtvbsOsZyFir-Y7A8t7fKEM1gbKPvyFkdpu4fvI',
  'oD0HwocPBSfpNy5W3bpJeyFGY_IQ_YpqxSjQ3Yd-CLA',
])
