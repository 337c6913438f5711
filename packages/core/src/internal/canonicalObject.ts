// The JSON objects a challenge carries as `request` and `opaque`: base64url (no padding)
// of RFC 8785 text (draft-httpauth-payment §"Required Parameters"). Decoded strictly:
// valid base64url and UTF-8, bounded JSON, an object, and exactly its canonical text.
import * as Base64Url from '../Base64Url.js'
import * as Json from '../Json.js'

/** @internal The error a caller raises for a refusal (its class, e.g. InvalidChallengeError). */
export type Refusal = new (message: string, options?: { cause?: unknown }) => Error

/**
 * @internal Encodings found canonical, by their exact text: a route's `request` is the same
 * for every challenge it issues, so a server reading credentials (and a client reading
 * challenges) checks each once. Bounded: at most {@link rememberedMax} values of at most
 * {@link rememberedMaxLength} characters, all forgotten at once when full. The verdict is
 * a pure function of the text, so remembering it changes no answer.
 */
const remembered = new Set<string>()
const rememberedMax = 512
const rememberedMaxLength = 2048

/**
 * @internal Decodes `encoded` into its JSON object, refusing anything but base64url of
 * canonical object text. With `remember`, the canonical check is done once per text.
 */
export function decode(
  encoded: string,
  field: string,
  refusal: Refusal,
  remember = false,
): Record<string, Json.Value> {
  let text: string
  let value: Json.Value
  try {
    text = Base64Url.decodeString(encoded)
    value = Json.parse(text)
  } catch (cause) {
    throw new refusal(`${field} is not base64url-encoded JSON`, { cause })
  }
  if (!Json.isObject(value)) throw new refusal(`${field} must encode a JSON object`)
  if (remember && remembered.has(encoded)) return value
  if (Json.canonicalize(value) !== text)
    throw new refusal(`${field} is not serialized with JSON Canonicalization (RFC 8785)`)
  if (remember) keep(encoded)
  return value
}

/**
 * @internal Refuses `encoded` as {@link decode} does, without decoding a text already found
 * canonical (the value is not needed: parsers that only validate call this).
 */
export function assertCanonical(encoded: string, field: string, refusal: Refusal): void {
  if (!remembered.has(encoded)) decode(encoded, field, refusal, true)
}

function keep(encoded: string): void {
  if (encoded.length > rememberedMaxLength) return
  if (remembered.size >= rememberedMax) remembered.clear()
  remembered.add(encoded)
}
