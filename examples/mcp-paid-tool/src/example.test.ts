import { describe, expect, it } from 'vitest'
import { run } from './example.js'

describe('mcp-paid-tool example', () => {
  it('pays two forecasts with receipts, then the budget refuses the third', async () => {
    const outcome = await run()
    expect(outcome.receipts).toHaveLength(2)
    for (const receipt of outcome.receipts)
      expect(receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(outcome.refusedBy).toBe('budget')
    expect(outcome.spent).toEqual({ usd: '50' })
    expect(outcome.lines[0]).toContain('"test":{"intents":["charge"]}')
  })
})
