// Bounded reading of request and response bodies. A request body is read whole (its
// digest binds the challenge, draft-httpauth-payment §"Request Body Digest Binding")
// but never beyond the configured limit.
import { Errors } from '@paywire/core'

/** @internal Reads a request body into memory, refusing more than `maxBytes`. */
export async function readRequestBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0)
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes)
    throw new BodyTooLargeError(`request body of ${declared} bytes exceeds ${maxBytes}`)
  const { chunks, total, rest } = await readUpTo(request.body.getReader(), maxBytes)
  if (rest !== undefined) {
    await rest.cancel().catch(() => undefined)
    throw new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`)
  }
  return concat(chunks, total)
}

/**
 * @internal Reads a stream until it ends or holds more than `maxBytes`. When it ends in
 * time, `rest` is undefined; otherwise `rest` is the reader positioned after `chunks`.
 */
export async function readUpTo(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<{
  chunks: Uint8Array[]
  total: number
  rest: ReadableStreamDefaultReader<Uint8Array> | undefined
}> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { chunks, total, rest: undefined }
    chunks.push(value)
    total += value.byteLength
    if (total > maxBytes) return { chunks, total, rest: reader }
  }
}

/** @internal A stream that yields `chunks`, then whatever `rest` still holds. */
export function resume(
  chunks: Uint8Array[],
  rest: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let index = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = chunks[index++]
      if (next !== undefined) return controller.enqueue(next)
      const { done, value } = await rest.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel(reason) {
      return rest.cancel(reason)
    },
  })
}

/** @internal Joins chunks into one array. */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Raised when a request body is larger than the server accepts (answered with 413). */
export class BodyTooLargeError extends Errors.BaseError {
  override readonly name = 'Paywire.BodyTooLargeError'
  readonly code = 'ERR_BODY_TOO_LARGE'
  readonly problem = undefined
}
