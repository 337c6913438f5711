import { describe, expect, it } from 'vitest'
import { run } from './example.js'

describe('agent-budget example', () => {
  it('previews, pays within its budgets, asks approval above 20 cents, and refuses the rest', async () => {
    const outcome = await run()
    expect(outcome.lines[0]).toBe('dry run /news: would pay 5 usd')
    expect(outcome.lines[1]).toBe('dry run /archive: would refuse (max-amount)')
    // news 5 + report 25 = 30; the second report would make 55 > 50 an hour; news 5 fits.
    expect(outcome.paid).toHaveLength(3)
    expect(outcome.refusals).toEqual(['budget', 'max-amount'])
    expect(outcome.asked).toHaveLength(1)
    expect(outcome.asked[0]).toContain('pay 25 usd')
    expect(outcome.spent).toEqual({ usd: '35' })
  })
})
