import { describe, expect, it } from 'vitest'
import { createTokenCache, slotBits, slotOf } from '../../src/verify/token-cache.js'

interface Entry {
  readonly token: string
  readonly n: number
}

// Shaped like a JWS: three segments, the last one long and varied at its end.
const jws = (n: number, tail = '') =>
  `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.${'s'.repeat(40)}${tail}${n.toString(36).padStart(6, 'x')}Q`

const SEED = 0x5eed
/** `count` tokens that each have a slot of their own in a cache of `max` entries seeded SEED. */
function ownSlots(max: number, count: number): string[] {
  const shift = 32 - slotBits(max)
  const taken = new Set<number>()
  const tokens: string[] = []
  for (let n = 0; tokens.length < count; n++) {
    const slot = slotOf(jws(n), shift, SEED)
    if (taken.has(slot)) continue
    taken.add(slot)
    tokens.push(jws(n))
  }
  return tokens
}

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

  // 63 slot hits leave the LRU's order as it was; the 64th tells the LRU, so the token in
  // steady use is not the one evicted.
  it.each([
    { hits: 63, kept: 'two', evicted: 'one' },
    { hits: 64, kept: 'one', evicted: 'two' },
  ] as const)(
    'answers a token seen again from its slot; after $hits hits a new token evicts $evicted',
    ({ hits, kept, evicted }) => {
      const [one, two, three] = ownSlots(2, 3) as [string, string, string]
      const tokens = { one, two }
      const cache = createTokenCache<Entry>(2, SEED)
      cache.set({ token: one, n: 1 })
      expect(cache.get(one)?.n).toBe(1) // from the LRU, into its slot
      cache.set({ token: two, n: 2 }) // the LRU's order: one, then two (most recent)
      for (let i = 0; i < hits; i++) expect(cache.get(one)?.n).toBe(1) // from the slot
      cache.set({ token: three, n: 3 }) // evicts the least recent
      expect(cache.get(tokens[evicted])).toBeUndefined()
      expect(cache.get(tokens[kept])?.n).toBe(kept === 'one' ? 1 : 2)
    },
  )

  it('counts slot hits per slot: tokens taking turns each stay recent', () => {
    const [one, two, three, four] = ownSlots(3, 4) as [string, string, string, string]
    const cache = createTokenCache<Entry>(3, SEED)
    for (const [n, token] of [one, two].entries()) {
      cache.set({ token, n })
      cache.get(token) // into its slot
    }
    cache.set({ token: three, n: 2 }) // the LRU's order: one, two, three
    // 128 slot hits in turns: with one count for all, every 64th would fall on `two`.
    for (let i = 0; i < 64; i++) {
      expect(cache.get(one)?.n).toBe(0)
      expect(cache.get(two)?.n).toBe(1)
    }
    cache.set({ token: four, n: 3 }) // evicts three, the only one not told about since
    expect(cache.get(three)).toBeUndefined()
    expect(cache.get(one)?.n).toBe(0)
    expect(cache.get(two)?.n).toBe(1)
  })

  it('places tokens differently under another seed', () => {
    const shift = 32 - slotBits(10_000)
    const tokens = Array.from({ length: 64 }, (_, n) => jws(n))
    const under = (seed: number) => tokens.map((token) => slotOf(token, shift, seed)).join()
    expect(under(1)).not.toBe(under(2))
    expect(under(1)).toBe(under(1))
  })

  it('answers every token of a pool right, tokens sharing a slot included', () => {
    // 1,500 tokens in 4,096 slots: hundreds share one and take turns in it.
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
