import type { JWK } from 'jose'

/** The key type (and curve) each JWS algorithm needs (RFC 7518 §3.1, RFC 8037 §3.1). */
const KEY_TYPE_FOR: Readonly<Record<string, { kty: string; crv?: readonly string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'] },
}

const MIN_RSA_MODULUS_BYTES = 256 // 2048 bits (RFC 7518 §3.3, §3.5)
const MIN_RSA_EXPONENT = 65537

function base64urlBytes(value: string): number {
  return Math.floor((value.length * 3) / 4)
}

function exponentOf(e: string): number {
  const bytes = Buffer.from(e, 'base64url')
  if (bytes.length > 6) return Number.MAX_SAFE_INTEGER
  return bytes.reduce((sum, byte) => sum * 256 + byte, 0)
}

/**
 * Whether a published JWK may verify signatures at all: a signing key (`use`, `key_ops`), with
 * usable material. Weak RSA keys (under 2048 bits, tiny exponents) are refused here, so a token
 * can never select them.
 */
export function isUsableSigningKey(jwk: unknown): jwk is JWK {
  if (jwk === null || typeof jwk !== 'object') return false
  const key = jwk as JWK
  if (typeof key.kty !== 'string') return false
  if (key.kid !== undefined && typeof key.kid !== 'string') return false
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.key_ops !== undefined && (!Array.isArray(key.key_ops) || !key.key_ops.includes('verify'))) {
    return false
  }
  if (key.alg !== undefined && typeof key.alg !== 'string') return false
  // A private or symmetric key has no place in a public key set.
  if (key.d !== undefined || key.k !== undefined || key.kty === 'oct') return false
  if (key.kty === 'RSA') {
    if (typeof key.n !== 'string' || typeof key.e !== 'string') return false
    return base64urlBytes(key.n) >= MIN_RSA_MODULUS_BYTES && exponentOf(key.e) >= MIN_RSA_EXPONENT
  }
  if (key.kty === 'EC') return typeof key.crv === 'string' && typeof key.x === 'string' && typeof key.y === 'string'
  if (key.kty === 'OKP') return typeof key.crv === 'string' && typeof key.x === 'string'
  return false
}

/**
 * Whether a key may verify a token signed with `alg`: right key type and curve, and when the
 * key names its own `alg`, that one (so an RS256 key never checks a PS256 signature).
 */
export function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  const wanted = KEY_TYPE_FOR[alg]
  if (wanted === undefined || jwk.kty !== wanted.kty) return false
  if (wanted.crv !== undefined && !wanted.crv.includes(jwk.crv as string)) return false
  return jwk.alg === undefined || jwk.alg === alg
}
