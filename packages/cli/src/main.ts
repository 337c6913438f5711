#!/usr/bin/env node
// The `paywire` binary: runs the command line with the process's streams and exits with
// its code (see ExitCode.ts).
import * as Cli from './Cli.js'
import * as Io from './Io.js'

process.exitCode = await Cli.run(process.argv.slice(2), Io.fromProcess())
