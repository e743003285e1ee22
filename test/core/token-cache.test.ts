import { describe, expect, it } from 'vitest'
import { createTokenCache } from '../../src/verify/token-cache.js'

interface Entry {
  readonly token: string
  readonly n: number
}

// Shaped like a JWS: three segments, the last one long and varied at its end.
const jws = (n: number, tail = '') =>
  `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.${'s'.repeat(40)}${tail}${n.toString(36).padStart(6, 'x')}Q`

describe('token cache', () => {
  it('answers only for the exact token, not for another with the same key', () => {
    const cache = createTokenCache<Entry>(10)
    const signature = 'A'.repeat(32)
    const first = `aaa.bbb.${signature}`
    cache.set({ token: first, n: 1 })
    // Same last 32 characters (the key), different token.
    expect(cache.get(`aaa.ccc.${signature}`)).toBeUndefined()
    expect(cache.get(first)?.n).toBe(1)
    // Answered again from its slot: still only for that token.
    expect(cache.get(first)?.n).toBe(1)
    expect(cache.get(`aaa.ccc.${signature}`)).toBeUndefined()
  })

  it('forgets a token the LRU evicts, even while it sits in its slot', () => {
    const cache = createTokenCache<Entry>(2)
    cache.set({ token: jws(1), n: 1 })
    expect(cache.get(jws(1))?.n).toBe(1) // now in its slot
    cache.set({ token: jws(2), n: 2 })
    cache.set({ token: jws(3), n: 3 }) // evicts jws(1), the least recently used
    expect(cache.size).toBe(2)
    expect(cache.get(jws(1))).toBeUndefined()
    expect(cache.get(jws(3))?.n).toBe(3)
  })

  it('forgets a deleted or overwritten token in its slot too', () => {
    const cache = createTokenCache<Entry>(10)
    cache.set({ token: jws(1), n: 1 })
    expect(cache.get(jws(1))?.n).toBe(1)
    cache.delete(jws(1))
    expect(cache.get(jws(1))).toBeUndefined()

    cache.set({ token: jws(2), n: 2 })
    expect(cache.get(jws(2))?.n).toBe(2)
    cache.set({ token: jws(2), n: 20 })
    expect(cache.get(jws(2))?.n).toBe(20)

    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get(jws(2))).toBeUndefined()
  })

  it('keeps a token answered from its slot among the most recent (no eviction in steady use)', () => {
    const cache = createTokenCache<Entry>(2)
    cache.set({ token: jws(1), n: 1 })
    expect(cache.get(jws(1))?.n).toBe(1) // from the LRU, into its slot
    cache.set({ token: jws(2), n: 2 }) // the LRU's order: 1, then 2 (most recent)
    for (let i = 0; i < 64; i++) expect(cache.get(jws(1))?.n).toBe(1) // slot hits
    cache.set({ token: jws(3), n: 3 }) // evicts the least recent: 2, not 1
    expect(cache.get(jws(1))?.n).toBe(1)
    expect(cache.get(jws(2))).toBeUndefined()
  })

  it('answers every token of a pool right, tokens sharing a slot included', () => {
    // 1,500 tokens in 2,048 slots: hundreds share one and take turns in it.
    const cache = createTokenCache<Entry>(1_500)
    const tokens = Array.from({ length: 1_500 }, (_, n) =>
      jws(n, String.fromCharCode(65 + (n % 26))),
    )
    tokens.forEach((token, n) => cache.set({ token, n }))
    for (let round = 0; round < 3; round++)
      tokens.forEach((token, n) => expect(cache.get(token)?.n).toBe(n))
    expect(cache.size).toBe(1_500)
  })

  it('finds opaque and very short tokens (keyed by their SHA-256)', () => {
    const cache = createTokenCache<Entry>(10)
    for (const token of ['opaque-token-without-dots-0123456789abcdef', 'abc', 'a', 'x.y'])
      cache.set({ token, n: token.length })
    for (const token of ['opaque-token-without-dots-0123456789abcdef', 'abc', 'a', 'x.y']) {
      expect(cache.get(token)?.n).toBe(token.length)
      expect(cache.get(token)?.n).toBe(token.length)
    }
    expect(cache.get('ab')).toBeUndefined()
  })
})
