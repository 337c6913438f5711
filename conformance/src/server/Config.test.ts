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

  it('claims a session route and the session payer, and checks the payer block', () => {
    const config = Config.from({
      routes: { paid: '/paid', session: '/session' },
      session: {
        rpcUrl: 'http://127.0.0.1:8545',
        privateKey: `0x${'1'.repeat(64)}`,
      },
    })
    expect(config.session?.deposit).toBe('100000')
    const claimed = Config.capabilities(config, ['test'])
    expect(claimed).toContain('route:session')
    expect(claimed).toContain('payment:session')
    const bare = Config.capabilities(Config.from({ routes: { paid: '/paid' } }), ['test'])
    for (const capability of ['route:session', 'payment:session']) {
      expect(bare).not.toContain(capability)
      expect(Config.howToClaim[capability]).toMatch(/^set /)
    }
    const secretKey = `0x${'2'.repeat(63)}`
    const wrong = () =>
      Config.from({
        routes: { paid: '/paid' },
        session: { rpcUrl: 'http://127.0.0.1:8545', privateKey: secretKey },
      })
    expect(wrong).toThrow(/^session\.privateKey: /)
    expect(wrong).not.toThrow(secretKey)
  })

  it('refuses an empty secret or log file', () => {
    expect(() => Config.from({ routes: { paid: '/paid' }, secret: '' })).toThrow(
      Config.InvalidConfigError,
    )
    expect(() => Config.from({ routes: { paid: '/paid' }, logFile: '' })).toThrow(/^logFile/)
  })
})
