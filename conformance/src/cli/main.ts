#!/usr/bin/env node
// The `paywire-conformance` executable: runs the command line and sets the exit status.
// It is the package's only bin, so `npx @paywire/conformance <command>` runs it (npm picks
// a package's single bin); `paywire-conformance adapter` is paywire's mpp-tools adapter
// (one request on stdin, one response line on stdout, nothing else written).
import { main } from './Cli.js'

if (process.argv[2] === 'adapter') await import('../adapters/paywire/main.js')
else
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status
    },
    (error: unknown) => {
      process.stderr.write(`paywire-conformance: unexpected failure: ${String(error)}\n`)
      process.exitCode = 1
    },
  )
