import { Receipt } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import { run } from './demo.js'

describe('demo', () => {
  it('pays once, receipts it, and refuses the replay', async () => {
    const steps = await run()
    expect(steps.map((step) => step.title)).toEqual([
      '402 Payment Required',
      'Client pays and retries',
      '200 OK',
      'Replay of the same credential',
    ])
    const receiptLine = steps[2]?.lines[0] ?? ''
    const receipt = Receipt.deserialize(receiptLine.replace('Payment-Receipt: ', ''))
    expect(receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(steps[3]?.lines[0]).toBe('refused: test proof was already used')
  })
})
