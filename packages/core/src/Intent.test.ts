import { describe, expect, it } from 'vitest'
import * as Intent from './Intent.js'

describe('Intent', () => {
  it('knows the intents the drafts register {core.challenge.intent.registered}', () => {
    expect(Object.keys(Intent.registered).sort()).toEqual(['charge', 'session', 'subscription'])
    for (const intent of ['charge', 'session', 'subscription'])
      expect(Intent.isRegistered(intent)).toBe(true)
  })

  it('refuses unregistered, differently cased and inherited names {core.challenge.intent.registered}', () => {
    for (const intent of [
      'authorize',
      'Charge',
      'CHARGE',
      '',
      'toString',
      '__proto__',
      'constructor',
    ])
      expect(Intent.isRegistered(intent)).toBe(false)
  })
})
