// What the test server's paid handlers did: how often each ran, which payments settled,
// and the handlers held until the test releases them. Waiting is on events, never on time.

export type Snapshot = { runs: Record<string, number>; settled: number; aborted: number }

export type Effects = {
  /** Counts one run of a handler. */
  ran(name: string): void
  /** Counts one settlement. */
  settle(challengeId: string): void
  /** Counts one HTTP request whose client went away before its response ended. */
  abort(): void
  /** Resolves once the test has called {@link release} (at once after that). */
  hold(): Promise<void>
  /** Lets every held handler finish, and the later ones pass; returns how many were held. */
  release(): number
  snapshot(): Snapshot
  /** Resolves once `predicate` holds for the counts. */
  until(predicate: (snapshot: Snapshot) => boolean): Promise<Snapshot>
}

export function create(): Effects {
  const runs: Record<string, number> = {}
  let settled = 0
  let aborted = 0
  let held: Array<() => void> = []
  let released = false
  let waiting: Array<() => void> = []
  const snapshot = (): Snapshot => ({ runs: { ...runs }, settled, aborted })
  const changed = () => {
    const wake = waiting
    waiting = []
    for (const resolve of wake) resolve()
  }
  return {
    ran(name) {
      runs[name] = (runs[name] ?? 0) + 1
      changed()
    },
    settle() {
      settled++
      changed()
    },
    abort() {
      aborted++
      changed()
    },
    hold: () =>
      new Promise<void>((resolve) => {
        if (released) return resolve()
        held.push(resolve)
        changed()
      }),
    release() {
      released = true
      const count = held.length
      for (const resolve of held) resolve()
      held = []
      return count
    },
    snapshot,
    async until(predicate) {
      for (;;) {
        const now = snapshot()
        if (predicate(now)) return now
        await new Promise<void>((resolve) => waiting.push(resolve))
      }
    },
  }
}
