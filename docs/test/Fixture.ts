// How a block marked `ts run fixture=<name>` runs: the block stays as the guide shows it,
// and each of its `declare const x: T` (or `declare function x(...)`) lines becomes
// `const x: T = fixture.x`, the value exported by test/fixtures/<name>.ts. A small entry
// program imports the fixture (which builds its values first: a wallet on the shared local
// node, a store on loopback Redis, a paid server the block's client buys from...), checks
// that it gives every declared name, runs the block, then awaits the fixture's optional
// `verify(block)` (given the block's exports: it throws when what the block built does not
// work, e.g. a route that cannot be paid) and `close()`, and exits with the block's exit code.

/** The names a block declares, in order. */
export function declared(code: string): string[] {
  return [...code.matchAll(/^declare (?:const|function) (\w+)/gm)].map(
    (match) => match[1] as string,
  )
}

/** The block with its declarations bound to the fixture, and the program that runs it. */
export function apply(code: string, fixture: string) {
  const names = declared(code)
  const lines = code.split('\n').map((line) => {
    const constant = /^declare const (\w+)([^/]*?)(\s*\/\/.*)?$/.exec(line)
    if (constant !== null) {
      const [, name, type = '', comment = ''] = constant
      return `const ${name}${type.trimEnd()} = __fixture.${name}${comment}`
    }
    const fn = /^declare function (\w+)\b.*?(\s*\/\/.*)?$/.exec(line)
    if (fn !== null) return `const ${fn[1]} = __fixture.${fn[1]}${fn[2] ?? ''}`
    return line
  })
  // On the first line, so that the block's line numbers stay those of the guide.
  lines[0] = `import * as __fixture from '${fixture}'; ${lines[0]}`
  return {
    block: lines.join('\n'),
    main: (block: string) => `import * as fixture from '${fixture}'
const missing = ${JSON.stringify(names)}.filter((name) => !(name in fixture))
if (missing.length > 0) throw new Error(\`${fixture} gives no \${missing.join(', ')}\`)
const exports = await import('${block}')
try {
  if ('verify' in fixture) await fixture.verify(exports)
} finally {
  if ('close' in fixture) await fixture.close()
}
// Servers and connections the block left open are the fixture's: stop here.
process.exit()
`,
  }
}
