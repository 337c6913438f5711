// `paywire completion bash|zsh|fish`: a shell completion script generated from the CLI's
// own command table (Cli.commands) and each command's flags and commands, so that it never
// drifts from what the parser accepts.
import * as Cli from './Cli.js'
import * as ExitCode from './ExitCode.js'
import type * as Io from './Io.js'
import * as Request from './Request.js'
import * as Usage from './Usage.js'

/**
 * The shells a completion script is printed for.
 *
 * @example
 * ```ts
 * import { Completion } from '@paywire/cli'
 * Completion.shells // ['bash', 'zsh', 'fish']
 * ```
 */
export const shells = ['bash', 'zsh', 'fish'] as const

/**
 * The arguments `paywire completion` takes (its shells), for its own completion.
 *
 * @example
 * ```ts
 * import { Completion } from '@paywire/cli'
 * Completion.subcommands // ['bash', 'zsh', 'fish']
 * ```
 */
export const subcommands = shells

/**
 * A shell `paywire completion` prints a script for.
 *
 * @example
 * ```ts
 * import type { Completion } from '@paywire/cli'
 * const shell: Completion.Shell = 'zsh'
 * ```
 */
export type Shell = (typeof shells)[number]

/**
 * The help of `paywire completion`.
 *
 * @example
 * ```ts
 * import { Completion } from '@paywire/cli'
 * console.log(Completion.help)
 * ```
 */
export const help = `Usage: paywire completion <bash|zsh|fish>

Prints a completion script for the commands and flags of paywire.

  bash:  source <(paywire completion bash)          (e.g. in ~/.bashrc)
  zsh:   source <(paywire completion zsh)           (e.g. in ~/.zshrc, after compinit)
  fish:  paywire completion fish > ~/.config/fish/completions/paywire.fish`

/**
 * One command as the completion scripts see it: its name (`''` for `paywire <url>`), its
 * own commands and its flags (`--long` and `-s`).
 *
 * @example
 * ```ts
 * import type { Completion } from '@paywire/cli'
 * const entry: Completion.Entry = { name: 'ledger', subcommands: [], flags: [{ long: 'json', short: undefined, value: false }] }
 * ```
 */
export type Entry = {
  name: string
  subcommands: readonly string[]
  flags: ReadonlyArray<{ long: string; short: string | undefined; value: boolean }>
}

/**
 * The commands and flags of `paywire`, read from its command table; the first entry (name
 * `''`) is `paywire <url>`.
 *
 * @example
 * ```ts
 * import { Completion } from '@paywire/cli'
 * const entries = await Completion.table()
 * entries.find((entry) => entry.name === 'ledger')?.flags
 * ```
 */
export async function table(): Promise<Entry[]> {
  const entries: Entry[] = [{ name: '', subcommands: [], flags: flagsOf(Request.flags) }]
  for (const [name, load] of Object.entries(Cli.commands)) {
    const command = await load()
    entries.push({
      name,
      subcommands: command.subcommands ?? [],
      flags: flagsOf(command.flags ?? {}),
    })
  }
  return entries
}

/**
 * The completion script of `shell`.
 *
 * @example
 * ```ts
 * import { Completion } from '@paywire/cli'
 * console.log(Completion.script('bash', await Completion.table()))
 * ```
 */
export function script(shell: Shell, entries: readonly Entry[]): string {
  if (shell === 'bash') return bash(entries)
  if (shell === 'zsh') return zsh(entries)
  return fish(entries)
}

/**
 * Runs `paywire completion <shell>`.
 *
 * @throws {Usage.UsageError} for a missing or unknown shell.
 * @example
 * ```ts
 * import { Completion, Io } from '@paywire/cli'
 * await Completion.run(['bash'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { positionals } = Usage.parse(args, {}, 'completion')
  const shell = Usage.single(positionals, 'shell', 'completion')
  if (!(shells as readonly string[]).includes(shell))
    throw new Usage.UsageError(`unknown shell "${shell}", expected one of ${shells.join(', ')}`, {
      command: 'completion',
    })
  io.stdout.write(script(shell as Shell, await table()))
  return ExitCode.ok
}

function flagsOf(options: Usage.Options): Entry['flags'] {
  return Object.entries(options).map(([long, option]) => ({
    long,
    short: option.short,
    value: option.type === 'string',
  }))
}

function words(entry: Entry): string[] {
  return entry.flags.flatMap((flag) => [
    `--${flag.long}`,
    ...(flag.short === undefined ? [] : [`-${flag.short}`]),
  ])
}

function bash(entries: readonly Entry[]): string {
  const [request, ...commands] = entries
  const top = [...commands.map((entry) => entry.name), ...words(request as Entry)]
  const cases = commands
    .map((entry) => {
      const flags = words(entry).join(' ')
      const subs = entry.subcommands.join(' ')
      return subs === ''
        ? `    ${entry.name}) COMPREPLY=($(compgen -W '${flags}' -- "$cur")) ;;`
        : `    ${entry.name}) if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W '${subs}' -- "$cur")); else COMPREPLY=($(compgen -W '${flags}' -- "$cur")); fi ;;`
    })
    .join('\n')
  return `# bash completion for paywire (paywire completion bash)
_paywire() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W '${top.join(' ')}' -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) COMPREPLY=($(compgen -W '${words(request as Entry).join(' ')}' -- "$cur")) ;;
  esac
}
complete -o default -F _paywire paywire
`
}

function zsh(entries: readonly Entry[]): string {
  const [request, ...commands] = entries
  const top = [...commands.map((entry) => entry.name), ...words(request as Entry)]
  const cases = commands
    .map((entry) => {
      const flags = words(entry).join(' ')
      const subs = entry.subcommands.join(' ')
      return subs === ''
        ? `    ${entry.name}) compadd -- ${flags} ;;`
        : `    ${entry.name}) if (( CURRENT == 3 )); then compadd -- ${subs}; else compadd -- ${flags}; fi ;;`
    })
    .join('\n')
  return `#compdef paywire
# zsh completion for paywire (paywire completion zsh)
_paywire() {
  if (( CURRENT == 2 )); then
    compadd -- ${top.join(' ')}
    _urls 2>/dev/null
    return
  fi
  case $words[2] in
${cases}
    *) compadd -- ${words(request as Entry).join(' ')} ;;
  esac
}
compdef _paywire paywire
`
}

function fish(entries: readonly Entry[]): string {
  const [request, ...commands] = entries
  const names = commands.map((entry) => entry.name).join(' ')
  const flagLine = (condition: string, flag: Entry['flags'][number]) =>
    `complete -c paywire -n '${condition}' -l ${flag.long}${flag.short === undefined ? '' : ` -s ${flag.short}`}${flag.value ? ' -r' : ''}`
  const lines = [
    '# fish completion for paywire (paywire completion fish)',
    `complete -c paywire -n '__fish_use_subcommand' -f -a '${names}'`,
    ...(request as Entry).flags.map((flag) =>
      flagLine(`not __fish_seen_subcommand_from ${names}`, flag),
    ),
  ]
  for (const entry of commands) {
    const seen = `__fish_seen_subcommand_from ${entry.name}`
    if (entry.subcommands.length > 0)
      lines.push(`complete -c paywire -n '${seen}' -f -a '${entry.subcommands.join(' ')}'`)
    for (const flag of entry.flags) lines.push(flagLine(seen, flag))
  }
  return `${lines.join('\n')}\n`
}
