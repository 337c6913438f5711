// Shared by every package's vitest config: one fixed fast-check seed (reported on
// failure so a case can be replayed) and a case budget from the environment.
//   FC_NUM_RUNS  cases per property (default 100 locally, 1,000 under CI=true)
//   FC_SEED      seed (default 20261124); a failing run prints the seed and path to replay
import fc from 'fast-check'
import { vi } from 'vitest'

const numRuns = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 1000 : 100))
const seed = Number(process.env.FC_SEED ?? 20261124)

fc.configureGlobal({ numRuns, seed, endOnFailure: true })

// Generous time limits: CI runs several packages' suites at once on two cores, and tests
// that start processes (a Tempo node, a reference server) wait on a busy machine. A test
// still fails if it hangs; it just fails later. Tests that set their own limit keep it.

vi.setConfig({ testTimeout: 180_000, hookTimeout: 300_000 })
