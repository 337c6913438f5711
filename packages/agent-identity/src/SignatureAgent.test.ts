// The Signature-Agent field and the identifier it resolves to.
import { describe, expect, it } from 'vitest'
import { SignatureAgent, SignatureFields } from './index.js'

describe('SignatureAgent', () => {
  it('reads the Dictionary form, ignoring members with parameters {webbotauth.signature-agent.no-parameters}', () => {
    const agent = SignatureAgent.parse(
      'a="https://one.example/keys", b="https://two.example/keys";type=directory, c=1',
    )
    expect(agent.form).toBe('dictionary')
    expect([...agent.members]).toEqual([['a', 'https://one.example/keys']])
  })

  it('reads the legacy String form as one member', () => {
    expect(SignatureAgent.parse('"https://one.example"')).toEqual({
      form: 'legacy',
      members: new Map([['', 'https://one.example']]),
    })
  })

  it.each([
    'a="http://agent.example/keys"',
    'a="ftp://agent.example/keys"',
    'a="not a url"',
    'a=(',
  ])('refuses %s {webbotauth.signature-agent.https}', (value) => {
    expect(() => SignatureAgent.parse(value)).toThrow(SignatureFields.MalformedSignatureError)
  })

  it('allows http on loopback only when asked', () => {
    expect(() => SignatureAgent.parse('a="http://127.0.0.1:8403/k"')).toThrow()
    expect(
      SignatureAgent.parse('a="http://127.0.0.1:8403/k"', { allowLoopback: true }).members.size,
    ).toBe(1)
  })

  it('normalizes the identifier and drops the query {webbotauth.identifier.url}', () => {
    expect(SignatureAgent.identifier('HTTPS://Agent.Example:443/%7ebot/%2f?v=2#x')).toBe(
      'https://agent.example/~bot/%2F',
    )
    expect(SignatureAgent.identifier('https://agent.example')).toBe('https://agent.example/')
  })
})
