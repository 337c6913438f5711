// Component values and the signature base (RFC 9421 §2): what cannot be derived is an error.
import { describe, expect, it } from 'vitest'
import { Component, SignatureBase, SignatureFields } from './index.js'

const request = () => ({
  method: 'GET',
  url: 'https://example.com/path?a=1&a=2&b=x%20y&fa%C3%A7ade=1',
  headers: new Headers({ 'example-dict': 'a=1,   b=2;x=1, c=(a   b)', host: 'example.com' }),
})

describe('Component.value', () => {
  it('serializes a Dictionary member strictly, and errs on an absent key {httpsig.dictionary.member}', () => {
    expect(
      Component.value(Component.from('signature-agent', { key: 'a' }), {
        ...request(),
        headers: new Headers({ 'signature-agent': 'a="https://x.example"' }),
      }),
    ).toBe('"https://x.example"')
    expect(() =>
      Component.value(Component.from('signature-agent', { key: 'z' }), {
        ...request(),
        headers: new Headers({ 'signature-agent': 'a="https://x.example"' }),
      }),
    ).toThrow(Component.ComponentError)
  })

  it('encodes query parameters, and refuses a repeated one {httpsig.query-param.repeated}', () => {
    expect(Component.value(Component.from('@query-param', { name: 'b' }), request())).toBe('x%20y')
    expect(
      Component.value(Component.from('@query-param', { name: 'fa%C3%A7ade' }), request()),
    ).toBe('1')
    expect(() => Component.value(Component.from('@query-param', { name: 'a' }), request())).toThrow(
      Component.ComponentError,
    )
  })

  it.each([
    ['an absent field', Component.from('x-absent')],
    ['an unknown derived component', Component.from('@unknown')],
    ['an unknown parameter', Component.from('host', { bs: true })],
    ['@status in a request', Component.from('@status')],
    ['req in a request', Component.from('@method', { req: true })],
  ])('refuses %s {httpsig.base.unresolvable}', (_name, component) => {
    expect(() => Component.value(component, request())).toThrow(Component.ComponentError)
  })

  it('refuses non-ASCII field values {httpsig.base.unresolvable}', () => {
    const message = { ...request(), headers: new Headers({ 'x-name': 'caf\u00e9' }) }
    expect(() => Component.value(Component.from('x-name'), message)).toThrow(
      Component.ComponentError,
    )
  })
})

describe('SignatureBase.from', () => {
  it('refuses a component covered twice, parameter order aside {httpsig.components.unique}', () => {
    const components = [
      Component.from('example-dict', { key: 'a', sf: true }),
      {
        name: 'example-dict',
        parameters: new Map<string, string | boolean>([
          ['sf', true],
          ['key', 'a'],
        ]),
      },
    ]
    expect(() => SignatureBase.from({ components, parameters: new Map() }, request())).toThrow(
      Component.ComponentError,
    )
  })

  it('refuses @signature-params as a covered component {httpsig.params.last}', () => {
    expect(() =>
      SignatureBase.from(
        { components: [Component.from('@signature-params')], parameters: new Map() },
        request(),
      ),
    ).toThrow(Component.ComponentError)
  })
})

describe('SignatureFields.read', () => {
  it.each([
    ['a label in Signature only', 'sig1=("@authority")', 'sig2=:AAAA:'],
    ['a Signature-Input without a Signature', 'sig1=("@authority")', null],
    ['an upper-case field name', 'sig1=("Host")', 'sig1=:AAAA:'],
    ['a created that is not an integer', 'sig1=("@authority");created="now"', 'sig1=:AAAA:'],
  ])(
    'refuses %s {httpsig.fields.same-labels, httpsig.fields.lowercase}',
    (_name, input, signature) => {
      const headers = new Headers({ 'signature-input': input })
      if (signature !== null) headers.set('signature', signature)
      expect(() => SignatureFields.read(headers)).toThrow(SignatureFields.MalformedSignatureError)
    },
  )
})
