// `tsx src/profileSummary.ts <file.cpuprofile> [top] [--requests N] [--focus name]
// [--components]`: self time per function and the time of each function including its
// callees, the two lists a profile is read by. With `--requests N`, each line also gives
// microseconds per request (the profile's time spread over N requests); with `--focus
// name`, only the time spent under functions named `name` is counted; with `--components`,
// self time is also grouped by component of a server process (HTTP, fetch objects, server
// pipeline, core primitives, store, ...).
import { readFileSync } from 'node:fs'

type Node = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
  hitCount?: number
}
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[] }

const args = process.argv.slice(2)
const option = (name: string) => {
  const index = args.indexOf(name)
  if (index < 0) return undefined
  const [value] = args.splice(index, 2).slice(1)
  return value
}
const components = args.includes('--components')
if (components) args.splice(args.indexOf('--components'), 1)
const requests = Number(option('--requests') ?? Number.NaN)
const focus = option('--focus')
const [file, topText] = args
const profile = JSON.parse(readFileSync(file as string, 'utf8')) as Profile
const top = Number(topText ?? 25)
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const label = (node: Node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules\/\.pnpm\/)?/, '')}:${node.callFrame.lineNumber + 1}`
const self = new Map<string, number>()
const total = new Map<string, number>()
let all = 0
let idle = 0
const walk = (node: Node, onStack: Set<string>, focused: boolean): number => {
  const inFocus = focused || focus === undefined || node.callFrame.functionName === focus
  const hits = inFocus ? (node.hitCount ?? 0) : 0
  let sum = hits
  all += node.hitCount ?? 0
  if (node.callFrame.functionName === '(idle)') idle += node.hitCount ?? 0
  const name = label(node)
  self.set(name, (self.get(name) ?? 0) + hits)
  const inner = new Set(onStack).add(name)
  for (const child of node.children ?? []) sum += walk(byId.get(child) as Node, inner, inFocus)
  if (!onStack.has(name)) total.set(name, (total.get(name) ?? 0) + sum)
  return sum
}
walk(profile.nodes[0] as Node, new Set(), false)
const busyMicros = ((profile.endTime - profile.startTime) * (all - idle)) / all
const perSample = busyMicros / Math.max(1, all - idle)
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const share = `${((hits / all) * 100).toFixed(1).padStart(6)}%`
    const micros = Number.isNaN(requests)
      ? ''
      : `${((hits * perSample) / requests).toFixed(1).padStart(8)} µs/req`
    console.log(`${share}${micros}  ${name}`)
  }
}
if (!Number.isNaN(requests))
  console.log(
    `busy ${(busyMicros / 1e6).toFixed(2)} s of ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s (idle ${((idle / all) * 100).toFixed(1)}%): ${(busyMicros / requests).toFixed(1)} µs of CPU per request`,
  )
show('self', self)
show('total (inclusive)', total)

/** Components of a server process, tested in order on a sample's frame and its callers. */
const groups: Array<[string, (frame: Node['callFrame'], stack: readonly Node[]) => boolean]> = [
  ['idle', (frame) => frame.functionName === '(idle)'],
  ['garbage collector', (frame) => frame.functionName === '(garbage collector)'],
  [
    'start-up (module loading)',
    (_, stack) =>
      stack.some(
        (node) =>
          /loader|hooks|module_job|register|translators/.test(node.callFrame.url) ||
          node.callFrame.functionName === 'evaluate',
      ),
  ],
  [
    'socket writes (writev, writeUtf8String)',
    (frame) => /^(writev|writeUtf8String|writeBuffer)$/.test(frame.functionName),
  ],
  [
    'test method proof (@noble/hashes in testkit)',
    (_, stack) => stack.some((node) => node.callFrame.functionName === 'prove'),
  ],
  [
    'fetch Request/Response/Headers/URL (undici, toRequest)',
    (frame, stack) =>
      /undici|internal\/url|url:|abort_controller/.test(frame.url) ||
      stack.some((node) => node.callFrame.functionName === 'toRequest'),
  ],
  ['zod', (frame) => /zod/.test(frame.url)],
  ['core: JSON', (frame) => /core\/dist\/(Json|internal\/canonicalObject)/.test(frame.url)],
  [
    'core: base64url',
    (frame, stack) =>
      /Base64Url/.test(frame.url) ||
      (/buffer/.test(frame.url) && stack.some((node) => /Base64Url/.test(node.callFrame.url))),
  ],
  [
    'core: HMAC',
    (frame) =>
      /internal\/hashing|internal\/crypto/.test(frame.url) || frame.functionName === 'hash',
  ],
  ['core: other primitives', (frame) => /core\/dist\//.test(frame.url)],
  ['stores', (frame) => /store-(memory|redis|postgres|sqlite)/.test(frame.url)],
  ['server pipeline (@paywire/server)', (frame) => /server\/dist\//.test(frame.url)],
  ['mppx', (frame) => /mppx/.test(frame.url)],
  [
    'Node http and streams',
    (frame) => /^node:|_http|stream|net|events|timers|buffer/.test(frame.url),
  ],
  ['other (microtasks, program, natives)', () => true],
]

if (components) {
  const parentOf = new Map<number, Node>()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node)
  const sums = new Map(groups.map(([name]) => [name, 0]))
  const perHit = (profile.endTime - profile.startTime) / Math.max(1, all)
  for (const node of profile.nodes) {
    if (!node.hitCount) continue
    const stack: Node[] = []
    for (let at: Node | undefined = node; at !== undefined; at = parentOf.get(at.id)) stack.push(at)
    const group = groups.find(([, test]) => test(node.callFrame, stack)) as (typeof groups)[number]
    sums.set(group[0], (sums.get(group[0]) ?? 0) + node.hitCount)
  }
  console.log('\ncomponents (self time)')
  for (const [name, hits] of sums) {
    const micros = Number.isNaN(requests)
      ? ''
      : `${((hits * perHit) / requests).toFixed(1).padStart(8)} µs/req`
    console.log(`${((hits / all) * 100).toFixed(1).padStart(6)}%${micros}  ${name}`)
  }
}
