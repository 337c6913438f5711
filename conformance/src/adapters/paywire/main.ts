#!/usr/bin/env node
// The paywire adapter executable for the mpp-tools conformance harness: reads one JSON
// request from stdin (at most 1 MiB), writes one JSON response line to stdout, exits 0.
// stdout carries nothing else; the logic lives in abi.ts, ops.ts and flow.ts.
import * as Adapter from './abi.js'

const response = await respond()
process.stdout.write(`${JSON.stringify(response)}\n`)

async function respond(): Promise<Adapter.Response> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    // Stop reading at the bound: what follows is never buffered.
    if (size > Adapter.maxRequestBytes)
      return Adapter.failure('unknown_error', `request exceeds ${Adapter.maxRequestBytes} bytes`)
    chunks.push(chunk)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    // The decoder's only failure is malformed UTF-8; its message adds nothing.
    return Adapter.failure('unknown_error', 'request is not valid UTF-8')
  }
  return Adapter.respond(text)
}
