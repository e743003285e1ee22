import { hash, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/** What the cache holds: anything that names the exact token it was made for. */
export interface CachedToken {
  /** The exact token the entry was made for: the cache answers only for a token equal to it. */
  readonly token: string
}

/**
 * Verified tokens, bounded, found by the token itself. Whether an entry still holds (expiry,
 * key rotation) is the verifier's to decide: this cache only finds, keeps and forgets.
 */
export interface TokenCache<V extends CachedToken> {
  /** The entry made for exactly this token (equal strings, not just equal keys), if held. */
  get(token: string): V | undefined
  /** Remembers an entry under its token, evicting the least recently used beyond the bound. */
  set(entry: V): void
  /** Forgets the entry of this token, if held. */
  delete(token: string): void
  clear(): void
  /** Entries held now (at most the bound). */
  readonly size: number
}

// A JWS (a JWT) is found by the last KEY_LENGTH characters of its signature segment, which no
// one can choose without the signing key; any other token (opaque, or a signature too short to
// hold the key) by its SHA-256, since nothing says its ending varies. The key only finds the
// entry: a hit is honoured only when the whole token equals the one verified
// (`CachedToken.token`, compared exactly), so two tokens sharing a key cost a re-verification,
// never a wrong answer, and no collision argument is needed. Hashing a whole JWT (SHA-256, or
// the engine's own string hash of a raw-token key) costs about 1 µs per request on a ~700-byte
// token, while a 32-character key hashes in nanoseconds. Hashing would not keep tokens out of
// memory either: every AuthContext carries its raw token (`auth.token`, for forwarding
// downstream), and the key is a slice of that same string, not a copy.
const KEY_LENGTH = 32

/** A token's SHA-256 (base64url): the cache key of tokens not found by their signature. */
export const tokenSha256 = (token: string): string => hash('sha256', token, 'base64url')

function keyOf(token: string): string {
  // The last KEY_LENGTH characters hold no '.' (they lie in the final segment) and the token has
  // one further on (it is segmented): two short scans, not one over the whole ~340-character
  // RS256 signature.
  const start = token.length - KEY_LENGTH
  return start > 0 && token.indexOf('.', start) === -1 && token.indexOf('.') !== -1
    ? token.slice(start)
    : tokenSha256(token)
}

// In front of the LRU, a table of slots indexed by four characters of the token's end, so that a
// token seen again is found without building its key, hashing it or reordering the LRU's list
// (bench/FLOOR-GAP.md section 8). A slot is only a hint, like the key: it answers only for the
// very token it holds. Up to 16,384 slots (128 KiB of references), so that tokens in use rarely
// share one: two that do take turns and fall through to the LRU, which costs a comparison of
// two tokens that differ only late (same issuer, same header) and the LRU's own lookup.
const MAX_SLOT_BITS = 14
// Hits answered by a slot leave the LRU's order untouched; one in REFRESH_EVERY of each slot's
// hits tells the LRU (counted per slot: a count shared by all would give every refresh to the
// same few tokens when several take turns), so a token in steady use stays among its most
// recent and is not the one evicted.
const REFRESH_EVERY = 64

/**
 * The slot of a token among `2 ** (32 - shift)`. Four characters near its end: for a JWS they
 * lie in the signature (the very last one is skipped: a base64url signature's last character
 * carries only 2–4 bits). Mixed with the cache's random `seed`, then multiplied by 2^32 / φ,
 * whose top bits mix all four (Knuth's multiplicative hashing): which tokens share a slot is
 * not known outside the process, so no one can aim requests at the slot of a token in use. A
 * token shorter than five characters reads NaN for some, which `|` turns into 0.
 */
export function slotOf(token: string, shift: number, seed: number): number {
  const n = token.length
  const tail =
    token.charCodeAt(n - 2) |
    (token.charCodeAt(n - 3) << 8) |
    (token.charCodeAt(n - 4) << 16) |
    (token.charCodeAt(n - 5) << 24)
  return Math.imul(tail ^ seed, 0x9e3779b1) >>> shift
}

/** The bits of how many slots `createTokenCache(max)` makes: about twice `max`, at most 2^14. */
export function slotBits(max: number): number {
  return Math.min(MAX_SLOT_BITS, Math.ceil(Math.log2(max)) + 1)
}

/**
 * A bounded token cache of at most `max` entries (`max` ≥ 1). `seed` mixes the slot index
 * (random unless a test fixes it).
 */
export function createTokenCache<V extends CachedToken>(
  max: number,
  seed: number = randomBytes(4).readInt32LE(),
): TokenCache<V> {
  const bits = slotBits(max)
  const shift = 32 - bits
  const slots: (V | undefined)[] = new Array<V | undefined>(2 ** bits).fill(undefined)
  // Each slot's hits since it last told the LRU (modulo REFRESH_EVERY).
  const slotHits = new Uint8Array(2 ** bits)
  const lru = new LRUCache<string, V>({
    max,
    // A slot holds only an entry the LRU holds: whatever removes one there (eviction, a stale
    // entry deleted, an overwrite, `clear`) empties its slot too, so the bound stays `max`
    // entries and a forgotten token is never answered from a slot.
    dispose(value) {
      const slot = slotOf(value.token, shift, seed)
      if (slots[slot] === value) slots[slot] = undefined
    },
  })

  return {
    get(token) {
      const slot = slotOf(token, shift, seed)
      const held = slots[slot]
      if (held !== undefined && held.token === token) {
        const count = (slotHits[slot] = (slotHits[slot]! + 1) % REFRESH_EVERY)
        if (count === 0) lru.get(keyOf(token))
        return held
      }
      const found = lru.get(keyOf(token))
      if (found === undefined || found.token !== token) return undefined
      slots[slot] = found
      slotHits[slot] = 0
      return found
    },
    set(entry) {
      lru.set(keyOf(entry.token), entry)
    },
    delete(token) {
      lru.delete(keyOf(token))
    },
    clear() {
      // Disposes of every entry, which empties their slots.
      lru.clear()
    },
    get size() {
      return lru.size
    },
  }
}
