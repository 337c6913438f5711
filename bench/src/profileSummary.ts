// `tsx src/profileSummary.ts <file.cpuprofile> [top]`: self time per function (and the
// time of each function including its callees), the two lists a profile is read by.
import { readFileSync } from 'node:fs'

type Node = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
  hitCount?: number
}
const [file, topText] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file as string, 'utf8')) as { nodes: Node[] }
const top = Number(topText ?? 25)
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const label = (node: Node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules\/\.pnpm\/)?/, '')}:${node.callFrame.lineNumber + 1}`
const self = new Map<string, number>()
const total = new Map<string, number>()
let all = 0
const walk = (node: Node, onStack: Set<string>): number => {
  let sum = node.hitCount ?? 0
  all += node.hitCount ?? 0
  const name = label(node)
  self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0))
  const inner = new Set(onStack).add(name)
  for (const child of node.children ?? []) sum += walk(byId.get(child) as Node, inner)
  if (!onStack.has(name)) total.set(name, (total.get(name) ?? 0) + sum)
  return sum
}
walk(profile.nodes[0] as Node, new Set())
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((hits / all) * 100).toFixed(1).padStart(6)}%  ${name}`)
}
show('self', self)
show('total (inclusive)', total)
