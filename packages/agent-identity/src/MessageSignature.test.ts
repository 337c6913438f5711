// RFC 9421 Appendix B: the example signatures verify, the signature bases are rebuilt
// byte for byte, and a change to any covered component breaks them.
import { describe, expect, it } from 'vitest'
import { Algorithm, Jwk, MessageSignature, SignatureBase, SignatureFields } from './index.js'
import * as Rfc from './test/rfc9421.js'

const ed25519 = Jwk.toPublic(Rfc.ed25519)

const rsaPss: Jwk.Public = { ...Rfc.rsaPss, alg: 'rsa-pss-sha512' }

/** The B.2-B.3 signatures made with keys this package verifies with. */
const vectors = [
  {
    name: 'B.2.1 minimal signature using rsa-pss-sha512',
    message: Rfc.request,
    key: rsaPss,
    input: 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    signature:
      'sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:',
  },
  {
    name: 'B.2.2 selective covered components using rsa-pss-sha512',
    message: Rfc.request,
    key: rsaPss,
    input:
      'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    signature:
      'sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:',
  },
  {
    name: 'B.2.3 full coverage using rsa-pss-sha512',
    message: Rfc.request,
    key: rsaPss,
    input:
      'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    signature:
      'sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:',
  },
  {
    name: 'B.2.4 signing a response using ecdsa-p256-sha256',
    message: Rfc.response,
    key: Rfc.eccP256,
    input:
      'sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
    signature:
      'sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:',
  },
  {
    name: 'B.2.6 signing a request using ed25519',
    message: Rfc.request,
    key: ed25519,
    input: b26Input(),
    signature: b26Signature(),
  },
  {
    name: 'B.3 TLS-terminating proxy using ecdsa-p256-sha256',
    message: Rfc.proxied,
    key: Rfc.eccP256,
    input:
      'ttrp=("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256"',
    signature:
      'ttrp=:xVMHVpawaAC/0SbHrKRs9i8I3eOs5RtTMGCWXm/9nvZzoHsIg6Mce9315T6xoklyy0yzhD9ah4JHRwMLOgmizw==:',
  },
] as const

function b26Input() {
  return 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"'
}

function b26Signature() {
  return 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:'
}

describe('RFC 9421 Appendix B', () => {
  it.each(vectors)('$name verifies', async ({ message: base, key, input, signature }) => {
    const signed = base()
    signed.headers.set('signature-input', input)
    signed.headers.set('signature', signature)
    const [entry] = SignatureFields.read(signed.headers)
    if (entry === undefined) throw new Error('no signature read')
    await expect(MessageSignature.verify({ message: signed, entry, key })).resolves.toBeTypeOf(
      'string',
    )
    // The same signature over a message with one covered value changed does not verify.
    if (entry.components.length === 0) return
    if ('method' in signed) {
      const url = new URL(signed.url)
      url.host = 'tampered.example'
      signed.url = url.href
    } else signed.status = 201
    await expect(MessageSignature.verify({ message: signed, entry, key })).rejects.toBeInstanceOf(
      MessageSignature.BadSignatureError,
    )
  })

  it('B.2.5: refuses the shared-secret hmac-sha256 signature {webbotauth.security.no-hmac}', async () => {
    const signed = Rfc.request()
    signed.headers.set(
      'signature-input',
      'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret";alg="hmac-sha256"',
    )
    signed.headers.set('signature', 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:')
    const [entry] = SignatureFields.read(signed.headers)
    if (entry === undefined) throw new Error('no signature read')
    await expect(
      MessageSignature.verify({ message: signed, entry, key: ed25519 }),
    ).rejects.toBeInstanceOf(Algorithm.UnsupportedAlgorithmError)
  })

  const transform =
    'transform=("@method" "@path" "@authority" "accept");created=1618884473;keyid="test-key-ed25519"'
  const transformSignature =
    'transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0pmj3NDA==:'
  it.each([
    [
      'still verifies after an added header and query parameter',
      'GET',
      'https://example.org/demo?name1=Value1&Name2=value2&param=added',
      ['application/json', '*/*'],
      true,
    ],
    [
      'still verifies after Accept lines are collapsed and Date removed',
      'GET',
      'https://example.org/demo?name1=Value1&Name2=value2',
      ['application/json, */*'],
      true,
    ],
    [
      'no longer verifies after the method and authority change',
      'POST',
      'https://example.com/demo?name1=Value1&Name2=value2',
      ['application/json', '*/*'],
      false,
    ],
    [
      'no longer verifies after the Accept lines are reordered',
      'GET',
      'https://example.org/demo?name1=Value1&Name2=value2',
      ['*/*', 'application/json'],
      false,
    ],
  ] as const)(
    'B.4: the signature %s {httpsig.fields.combine}',
    async (_name, method, url, accept, valid) => {
      const headers = new Headers({ 'signature-input': transform, signature: transformSignature })
      for (const value of accept) headers.append('accept', value)
      const signed = { method, url, headers }
      const [entry] = SignatureFields.read(headers)
      if (entry === undefined) throw new Error('no signature read')
      const verdict = MessageSignature.verify({ message: signed, entry, key: ed25519 })
      if (valid) await expect(verdict).resolves.toBe('ed25519')
      else await expect(verdict).rejects.toBeInstanceOf(MessageSignature.BadSignatureError)
    },
  )
})

function message(base: () => ReturnType<typeof Rfc.request>, input: string, signature: string) {
  const value = base()
  value.headers.set('signature-input', input)
  value.headers.set('signature', signature)
  return value
}

const b26 = {
  input:
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signature:
    'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  base: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
}

describe('RFC 9421 Appendix B.2.6 (ed25519)', () => {
  it('rebuilds the signature base and verifies the signature', async () => {
    const request = message(Rfc.request, b26.input, b26.signature)
    const [entry] = SignatureFields.read(request.headers)
    if (entry === undefined) throw new Error('no signature read')
    expect(SignatureBase.from(entry, request)).toBe(b26.base)
    await expect(MessageSignature.verify({ message: request, entry, key: ed25519 })).resolves.toBe(
      'ed25519',
    )
  })

  it('produces the same signature (Ed25519 is deterministic)', () => {
    const request = Rfc.request()
    const [expected] = SignatureFields.read(message(Rfc.request, b26.input, b26.signature).headers)
    if (expected === undefined) throw new Error('no signature read')
    const entry = MessageSignature.sign({
      message: request,
      label: 'sig-b26',
      components: expected.components,
      parameters: expected.parameters,
      key: Rfc.ed25519,
    })
    expect(SignatureFields.serialize([entry])).toEqual({
      'signature-input': b26.input,
      signature: b26.signature,
    })
  })

  it.each([
    ['@method', (m: ReturnType<typeof Rfc.request>) => ({ ...m, method: 'PUT' })],
    [
      '@path',
      (m: ReturnType<typeof Rfc.request>) => ({
        ...m,
        url: 'https://example.com/bar?param=Value&Pet=dog',
      }),
    ],
    [
      '@authority',
      (m: ReturnType<typeof Rfc.request>) => ({
        ...m,
        url: 'https://example.org/foo?param=Value&Pet=dog',
      }),
    ],
    [
      'content-length',
      (m: ReturnType<typeof Rfc.request>) => {
        m.headers.set('content-length', '19')
        return m
      },
    ],
  ])('refuses the signature when %s changes', async (_name, tamper) => {
    const request = tamper(message(Rfc.request, b26.input, b26.signature))
    const [entry] = SignatureFields.read(request.headers)
    if (entry === undefined) throw new Error('no signature read')
    await expect(
      MessageSignature.verify({ message: request, entry, key: ed25519 }),
    ).rejects.toBeInstanceOf(MessageSignature.BadSignatureError)
  })
})
