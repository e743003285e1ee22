import { createPublicKey, hash, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { LRUCache } from 'lru-cache'
import { isUsableSigningKey, keyFitsAlgorithm } from '../../jose/jwk.js'

// Every private member of RSA (RFC 7518 §6.3.2), EC and OKP (§6.2.2, RFC 8037 §2) keys, and the
// symmetric `k` (§6.4.1). RFC 9449 §4.3 check 7: the jwk MUST NOT contain a private key.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * RFC 7638 §3.2: the required members of the key, in lexicographic order, without whitespace.
 * JSON.stringify of strings gives the escaping RFC 7638 §3.3 asks for.
 */
export function jwkThumbprint(jwk: JWK): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return hash('sha256', JSON.stringify(members), 'base64url')
}

/** A proof's key, checked once and imported once per distinct key. */
export interface ProofKey {
  /** RFC 7638 SHA-256 thumbprint, compared with the token's `cnf.jkt`. */
  readonly thumbprint: string
  readonly key: KeyObject
}

/**
 * Checks and imports the `jwk` of proof headers, remembering imported keys by their exact JSON
 * (clients reuse one key for many proofs), so the per-request cost is one signature check.
 * Bounded: at most `max` keys.
 */
export function createProofKeyCache(max = 1000) {
  const cache = new LRUCache<string, ProofKey | false>({ max })

  function load(jwk: unknown, alg: string): ProofKey | undefined {
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return undefined
    const key = jwk as JWK & Record<string, unknown>
    for (const member of PRIVATE_MEMBERS) if (key[member] !== undefined) return undefined
    // Same rules as published keys (no oct, RSA ≥ 2048 bits, no ROCA) and the right type.
    if (!isUsableSigningKey(key) || !keyFitsAlgorithm(key, alg)) return undefined
    try {
      return { thumbprint: jwkThumbprint(key), key: createPublicKey({ key, format: 'jwk' }) }
    } catch {
      return undefined
    }
  }

  return {
    /** The key of a proof header's `jwk`, or undefined when it is not an acceptable public key. */
    get(jwk: unknown, alg: string): ProofKey | undefined {
      // The header came from JSON.parse: it stringifies back without fail.
      const text = `${alg}:${JSON.stringify(jwk)}`
      const cached = cache.get(text)
      if (cached !== undefined) return cached || undefined
      const loaded = load(jwk, alg)
      cache.set(text, loaded ?? false)
      return loaded
    },
    get size() {
      return cache.size
    },
  }
}
