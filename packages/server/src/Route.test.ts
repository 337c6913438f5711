import { describe, expect, it } from 'vitest'
import * as Route from './Route.js'

describe('Route', () => {
  it('keys a request by method, path and query as the URL parser serializes them', () => {
    expect(Route.key(new Request('https://a.example/paid?tier=pro'))).toBe('GET /paid?tier=pro')
    expect(Route.key(new Request('https://a.example/a/../b/./c', { method: 'POST' }))).toBe(
      'POST /b/c',
    )
    expect(Route.key(new Request('https://a.example/x?b=2&a=1'))).not.toBe(
      Route.key(new Request('https://a.example/x?a=1&b=2')),
    )
  })

  it('takes Idempotency-Key on POST, PUT, PATCH and DELETE only {core.idempotency.key}', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(Route.acceptsIdempotencyKey)).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect(['GET', 'HEAD', 'OPTIONS'].map(Route.acceptsIdempotencyKey)).toEqual([
      false,
      false,
      false,
    ])
  })
})
