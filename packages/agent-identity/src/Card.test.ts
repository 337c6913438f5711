// Signature Agent Cards (draft-meunier-webbotauth-registry-04).
import { describe, expect, it } from 'vitest'
import { Card, Jwk } from './index.js'

describe('Card', () => {
  it('builds and reads back a card {agentcard.card.extension-ignore-unknown}', () => {
    const card = Card.from({
      clientId: 'https://agent.example/card',
      name: 'Example',
      jwksUri: 'https://agent.example/.well-known/http-message-signatures-directory',
      webBotAuth: { trigger: 'fetcher', 'rfc9309-compliance': true },
    })
    expect(Card.parse(card, { url: 'https://agent.example/card' })).toEqual(card)
  })

  it.each([
    ['an empty object', {}],
    ['both jwks and jwks_uri', { jwks: { keys: [] }, jwks_uri: 'https://a.example/k' }],
    ['an http jwks_uri', { jwks_uri: 'http://a.example/k' }],
    ['an unknown trigger', { web_bot_auth: { trigger: 'scraper' } }],
  ])(
    'refuses %s {agentcard.card.nonempty, agentcard.card.jwks-exclusive, agentcard.card.jwks-uri-https}',
    (_name, value) => {
      expect(() => Card.parse(value)).toThrow(Card.InvalidCardError)
    },
  )

  it('refuses a card whose client_id is not the URL it came from {agentcard.card.client-id-match}', () => {
    const card = { client_id: 'https://agent.example/card', client_name: 'x' }
    expect(() => Card.parse(card, { url: 'https://other.example/card' })).toThrow(
      Card.InvalidCardError,
    )
  })

  it('publishes inline keys without their private half', () => {
    const card = Card.from({ keys: [Jwk.generate()] })
    expect(JSON.stringify(card)).not.toContain('"d"')
  })
})
