import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import * as Discovery from './Discovery.js'
import * as PaymentInfo from './PaymentInfo.js'
import * as ServiceInfo from './ServiceInfo.js'

const methods = [TestMethod.server({ key: 'shared-test-key' })]
const info = { title: 'Example AI API', version: '1.0.0' }

/** The draft's example document (§4.8), reduced to what the checks read. */
const example = {
  openapi: '3.1.0',
  info,
  'x-service-info': {
    categories: ['compute'],
    docs: {
      homepage: 'https://api.example.com/docs',
      llms: 'https://api.example.com/llms.txt',
      apiReference: 'https://api.example.com/reference',
    },
  },
  paths: {
    '/v1/chat/completions': {
      post: {
        summary: 'Chat completions',
        'x-payment-info': {
          offers: [
            { intent: 'charge', method: 'tempo', amount: '500', currency: '0x20c0' },
            {
              intent: 'charge',
              method: 'tempo',
              amount: '500',
              currency: '0x20c1',
              description: 'Alt',
            },
          ],
        },
        responses: { '200': { description: 'ok' }, '402': { description: 'Payment Required' } },
      },
    },
    '/v1/embeddings': {
      post: {
        'x-payment-info': { intent: 'charge', method: 'tempo', amount: null, currency: '0x20c0' },
        responses: { '200': { description: 'ok' }, '402': { description: 'Payment Required' } },
      },
    },
  },
}

describe('Discovery.parse', () => {
  it('reads the draft example, shorthand and multi-offer alike {discovery.payment-info.accept-both, discovery.payment-info.shorthand-equivalent, discovery.offer.amount-null}', () => {
    const document = Discovery.parse(example)
    expect(Discovery.payable(document)).toEqual([
      {
        method: 'POST',
        path: '/v1/chat/completions',
        offers: [
          { intent: 'charge', method: 'tempo', amount: '500', currency: '0x20c0' },
          {
            intent: 'charge',
            method: 'tempo',
            amount: '500',
            currency: '0x20c1',
            description: 'Alt',
          },
        ],
      },
      {
        method: 'POST',
        path: '/v1/embeddings',
        offers: [{ intent: 'charge', method: 'tempo', amount: null, currency: '0x20c0' }],
      },
    ])
  })

  it('refuses a document without %s {discovery.fields}', () => {
    const { openapi: _o, ...noVersion } = example
    const { paths: _p, ...noPaths } = example
    for (const broken of [
      noVersion,
      noPaths,
      { ...example, paths: {} },
      { ...example, info: { title: 'x' } },
      { ...example, openapi: '2.0' },
    ])
      expect(() => Discovery.parse(broken)).toThrow(Discovery.InvalidDocumentError)
  })

  it('refuses a payable operation without a 402 response {discovery.response-402}', () => {
    const broken = structuredClone(example)
    delete (broken.paths['/v1/embeddings'].post.responses as Record<string, unknown>)['402']
    expect(() => Discovery.parse(broken)).toThrow('a payable operation must declare a 402 response')
  })

  it('refuses categories that are not an array of strings, and docs links that are not URIs {discovery.categories.array, discovery.docs.object, discovery.docs.uri}', () => {
    for (const serviceInfo of [
      { categories: 'compute' },
      { categories: [1] },
      { docs: 'https://x.example' },
      { docs: { homepage: 'not a uri' } },
    ])
      expect(() => Discovery.parse({ ...example, 'x-service-info': serviceInfo })).toThrow(
        Discovery.InvalidDocumentError,
      )
  })
})

describe('PaymentInfo', () => {
  it('refuses amounts with leading zeros, signs, decimals or numbers {discovery.offer.amount-format, discovery.offer.no-leading-zeros}', () => {
    for (const amount of ['007', '-1', '1.5', '', 5])
      expect(() => PaymentInfo.offers({ intent: 'charge', method: 'tempo', amount })).toThrow(
        PaymentInfo.InvalidPaymentInfoError,
      )
    expect(PaymentInfo.offers({ intent: 'charge', method: 'tempo', amount: '0' })).toHaveLength(1)
  })

  it('refuses an offer missing intent, method or amount, or with an unknown member {discovery.offer.fields}', () => {
    for (const offer of [
      { method: 'tempo', amount: '1' },
      { intent: 'charge', amount: '1' },
      { intent: 'charge', method: 'tempo' },
      { intent: 'refund', method: 'tempo', amount: '1' },
      { intent: 'charge', method: 'tempo', amount: '1', price: '1' },
      { offers: [] },
    ])
      expect(() => PaymentInfo.offers(offer)).toThrow(PaymentInfo.InvalidPaymentInfoError)
  })
})

describe('ServiceInfo.knownCategories', () => {
  it('ignores categories it does not recognize {discovery.categories.ignore-unknown}', () => {
    expect(
      ServiceInfo.knownCategories({ categories: ['compute', 'quantum-vibes', 'data'] }),
    ).toEqual(['compute', 'data'])
  })
})

describe('Discovery.document', () => {
  it('builds multi-offer payment info with a 402 from paywire routes {discovery.payment-info.multi-offer, discovery.payment-info.required, discovery.response-402}', async () => {
    const document = await Discovery.document({
      info,
      methods,
      operations: [
        {
          method: 'POST',
          path: '/v1/forecast',
          route: { price: { amount: '100' } },
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'object', properties: { city: { type: 'string' } } },
              },
            },
          },
        },
        { method: 'GET', path: '/v1/health' },
      ],
    })
    const forecast = document.paths['/v1/forecast']?.post
    expect(forecast?.['x-payment-info']).toEqual({
      offers: [{ intent: 'charge', method: 'test', amount: '100', currency: 'usd' }],
    })
    expect(forecast?.responses).toHaveProperty('402')
    expect(forecast?.requestBody).toBeDefined()
    const health = document.paths['/v1/health']?.get
    expect(health?.['x-payment-info']).toBeUndefined()
    expect(health?.responses).not.toHaveProperty('402')
  })

  it('publishes a null amount for a price computed per request {discovery.offer.amount-null}', async () => {
    const document = await Discovery.document({
      info,
      methods,
      operations: [
        { method: 'POST', path: '/v1/embed', route: { price: () => ({ amount: '1' }) } },
      ],
    })
    expect(Discovery.payable(document)[0]?.offers).toEqual([
      { intent: 'charge', method: 'test', amount: null },
    ])
  })

  it('refuses an operation declared twice or under a method OpenAPI does not have', async () => {
    await expect(
      Discovery.document({
        info,
        methods,
        operations: [
          { method: 'GET', path: '/a' },
          { method: 'get', path: '/a' },
        ],
      }),
    ).rejects.toThrow('declared twice')
    await expect(
      Discovery.document({ info, methods, operations: [{ method: 'CONNECT', path: '/a' }] }),
    ).rejects.toThrow(Discovery.InvalidDocumentError)
  })
})

describe('Discovery.fetch', () => {
  it('refuses a document that is not served as JSON', async () => {
    const served = async () =>
      new Response(JSON.stringify(example), { headers: { 'content-type': 'text/html' } })
    await expect(Discovery.fetch('https://api.example.com', { fetch: served })).rejects.toThrow(
      'expected application/json',
    )
  })
})
