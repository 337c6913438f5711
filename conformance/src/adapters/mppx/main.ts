#!/usr/bin/env node
// The mppx adapter executable for the mpp-tools ABI: reads one JSON request from stdin
// (at most 1 MiB), writes one JSON response line to stdout, exits 0. The operations are
// mppx's (ops.ts); this file only moves bytes. Not part of the published package.
import * as Mppx from './ops.js'

const maxRequestBytes = 1_048_576

const response = await respond()
process.stdout.write(`${JSON.stringify(response)}\n`)

async function respond(): Promise<Mppx.Response> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxRequestBytes)
      return Mppx.failure('unknown_error', `request exceeds ${maxRequestBytes} bytes`)
    chunks.push(chunk)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    return Mppx.failure('unknown_error', 'request is not valid UTF-8')
  }
  return Mppx.respond(text)
}
