// The optional fields that let the suite check more claim their capabilities, and the
// reason of an n/a names the field to set.
import { describe, expect, it } from 'vitest'
import * as Config from './Config.js'

describe('Config.capabilities', () => {
  it('claims secret, log, effects and sponsored routes, and payment per payable method', () => {
    const config = Config.from({
      routes: { paid: '/paid', effects: '/effects', sponsored: '/paid-sponsored' },
      methods: { tempo: {}, stripe: {} },
      secret: 'the-binding-secret',
      logFile: 'server.log',
    })
    const claimed = Config.capabilities(config, ['test', 'tempo'])
    for (const capability of [
      'secret',
      'log',
      'route:effects',
      'route:sponsored',
      'payment',
      'payment:tempo',
    ])
      expect(claimed).toContain(capability)
    expect(claimed).not.toContain('payment:stripe')
    expect(claimed).not.toContain('payment:test')
  })

  it('claims none of them when the fields are absent', () => {
    const claimed = Config.capabilities(Config.from({ routes: { paid: '/paid' } }), ['test'])
    for (const capability of ['secret', 'log', 'route:effects', 'route:sponsored', 'payment'])
      expect(claimed).not.toContain(capability)
    for (const capability of ['secret', 'log', 'route:effects', 'route:sponsored'])
      expect(Config.howToClaim[capability]).toMatch(/^set /)
  })

  it('refuses an empty secret or log file', () => {
    expect(() => Config.from({ routes: { paid: '/paid' }, secret: '' })).toThrow(
      Config.InvalidConfigError,
    )
    expect(() => Config.from({ routes: { paid: '/paid' }, logFile: '' })).toThrow(/^logFile/)
  })
})
