#!/usr/bin/env node
// The `paywire-conformance` executable: runs the command line and sets the exit status.
import { main } from './Cli.js'

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status
  },
  (error: unknown) => {
    process.stderr.write(`paywire-conformance: unexpected failure: ${String(error)}\n`)
    process.exitCode = 1
  },
)
