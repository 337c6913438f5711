// The journal finds the credentials, proofs and receipts of a run, and a copy of them in
// a text even when cut short; public identifiers (transaction hashes, receipt references)
// are not counted as proofs.
import { Base64Url, Receipt } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import type * as Exchange from './Exchange.js'
import * as Journal from './Journal.js'

function exchange(authorization: string | undefined, receipt?: string): Exchange.Exchange {
  const headers = new Headers(receipt === undefined ? {} : { 'payment-receipt': receipt })
  const request = {
    method: 'GET',
    url: 'http://127.0.0.1/paid',
    headers: authorization === undefined ? {} : { Authorization: authorization },
  }
  return {
    request,
    response: new Response(null, { status: receipt === undefined ? 402 : 200, headers }),
    headers,
    body: '',
    error: undefined,
    evidence: { request: { ...request, headers: {} }, durationMs: 0 },
  }
}

const token = (payload: Record<string, string>) =>
  Base64Url.encode(JSON.stringify({ challenge: { id: 'abc', realm: 'r' }, payload }))

describe('Journal', () => {
  const hash = `0x${'ab'.repeat(32)}`
  const proof = Base64Url.encode(new Uint8Array(32).fill(7))
  const signed = `0x76${'cd'.repeat(120)}`
  const receipt = Receipt.serialize(Receipt.from({ method: 'test', reference: 'ref_12345' }))
  const journal = Journal.create()
  journal.record(exchange(`Payment ${token({ proof })}`))
  journal.record(exchange(`Payment ${token({ type: 'hash', hash })}`, receipt))
  journal.record(exchange(`Payment ${token({ type: 'transaction', signature: signed })}`))
  journal.record(exchange('Payment short'))
  journal.record(exchange(undefined))

  it('lists each credential sent once, and each receipt received', () => {
    journal.record(exchange(`Payment ${token({ proof })}`))
    expect(Journal.credentials(journal)).toHaveLength(3)
    expect(Journal.receipts(journal)).toEqual([receipt])
  })

  it('lists proofs and signed transactions, not transaction hashes', () => {
    expect(Journal.proofs(journal).sort()).toEqual([proof, signed].sort())
  })

  it('finds a credential whole or cut short, and nothing in unrelated text', () => {
    const [credential] = Journal.credentials(journal) as [string]
    expect(Journal.leaks(`auth: Payment ${credential}`, credential)).toBe(true)
    expect(Journal.leaks(`auth: Payment ${credential.slice(0, 60)}…`, credential)).toBe(true)
    expect(Journal.leaks('GET /paid 402 3ms', credential)).toBe(false)
  })

  it('finds any of many credentials in one pass, as leaks does for one', () => {
    const credentials = Journal.credentials(journal)
    const holds = Journal.leakFinder([...credentials, 'short-secret'])
    for (const credential of credentials) {
      expect(holds(`x ${credential.slice(50, 130)} y`)).toBe(
        Journal.leaks(`x ${credential.slice(50, 130)} y`, credential),
      )
      expect(holds(`log: ${credential}`)).toBe(true)
    }
    expect(holds('a short-secret here')).toBe(true)
    expect(holds('GET /paid 402 3ms')).toBe(false)
  })

  it('spells a secret in the encodings a leak would use', () => {
    expect(Journal.encodings('k')).toEqual(['k', 'aw==', 'aw', '6b', '6B'])
  })

  it('gives a response as text, without the headers asked to omit', () => {
    const paid = exchange(undefined, receipt)
    expect(Journal.responseText(paid)).toContain(receipt)
    expect(Journal.responseText(paid, { omit: ['payment-receipt'] })).not.toContain(receipt)
  })
})

describe('Journal.leaks and leakFinder, on text sharing a run of zeros with a credential', () => {
  it('do not take base64 of the zeros of an address, also in the challenge request, for a copy', () => {
    // A Tempo credential carries pathUSD's address, 0x20c000…0, in its transaction; so does
    // the challenge's request. Base64 of the two holds the same periodic text.
    const currency = `0x20c0${'0'.repeat(36)}`
    const request = Base64Url.encode(`{"amount":"1000","currency":"${currency}"}`)
    const zeros = Base64Url.encode(`c${'0'.repeat(35)}`)
    const credential = `${token({ proof: 'q'.repeat(40) }).slice(0, Journal.sliceLength)}${zeros}`
    expect(zeros).toHaveLength(Journal.sliceLength)
    expect(request).toContain(zeros)
    expect(Journal.leaks(`request="${request}"`, credential)).toBe(false)
    expect(Journal.leakFinder([credential])(`request="${request}"`)).toBe(false)
    expect(Journal.leaks(`echo ${credential}`, credential)).toBe(true)
  })
})
