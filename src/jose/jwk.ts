import type { JWK } from 'jose'
import { asymmetricSpec } from './algorithms.js'

const MIN_RSA_MODULUS_BYTES = 256 // 2048 bits (RFC 7518 §3.3, §3.5)
const MIN_RSA_EXPONENT = 65537

function base64urlBytes(value: string): number {
  return Math.floor((value.length * 3) / 4)
}

// ROCA (CVE-2017-15361): Infineon-generated RSA moduli are, modulo each of these small primes,
// a power of 65537. A random modulus passes this test for all of them with negligible chance.
const ROCA_PRIMES = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
  103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
]
const ROCA_SUBGROUPS = ROCA_PRIMES.map((prime) => {
  const powers = new Set<number>()
  for (let power = 1; !powers.has(power); power = (power * 65537) % prime) powers.add(power)
  return powers
})

/** Whether an RSA modulus carries the ROCA fingerprint of a factorable key. */
export function hasRocaFingerprint(modulus: string): boolean {
  const n = BigInt(`0x${Buffer.from(modulus, 'base64url').toString('hex') || '0'}`)
  return ROCA_PRIMES.every((prime, index) => ROCA_SUBGROUPS[index]?.has(Number(n % BigInt(prime))))
}

function exponentOf(e: string): number {
  const bytes = Buffer.from(e, 'base64url')
  if (bytes.length > 6) return Number.MAX_SAFE_INTEGER
  return bytes.reduce((sum, byte) => sum * 256 + byte, 0)
}

/**
 * Whether a published JWK may verify signatures at all: a signing key (`use`, `key_ops`), with
 * usable material. Weak RSA keys (under 2048 bits, tiny exponents, the ROCA fingerprint) are
 * refused here, so a token can never select them.
 */
export function isUsableSigningKey(jwk: unknown): jwk is JWK {
  if (jwk === null || typeof jwk !== 'object') return false
  const key = jwk as JWK
  if (typeof key.kty !== 'string') return false
  if (key.kid !== undefined && typeof key.kid !== 'string') return false
  if (key.use !== undefined && key.use !== 'sig') return false
  if (
    key.key_ops !== undefined &&
    (!Array.isArray(key.key_ops) || !key.key_ops.includes('verify'))
  ) {
    return false
  }
  if (key.alg !== undefined && typeof key.alg !== 'string') return false
  // A private or symmetric key has no place in a public key set.
  if (key.d !== undefined || key.k !== undefined || key.kty === 'oct') return false
  if (key.kty === 'RSA') {
    if (typeof key.n !== 'string' || typeof key.e !== 'string') return false
    return (
      base64urlBytes(key.n) >= MIN_RSA_MODULUS_BYTES &&
      exponentOf(key.e) >= MIN_RSA_EXPONENT &&
      !hasRocaFingerprint(key.n)
    )
  }
  if (key.kty === 'EC')
    return typeof key.crv === 'string' && typeof key.x === 'string' && typeof key.y === 'string'
  if (key.kty === 'OKP') return typeof key.crv === 'string' && typeof key.x === 'string'
  return false
}

/**
 * Whether a key may verify a token signed with `alg`: right key type and curve, and when the
 * key names its own `alg`, that one (so an RS256 key never checks a PS256 signature).
 */
export function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  const wanted = asymmetricSpec(alg)
  if (wanted === undefined || jwk.kty !== wanted.kty) return false
  if (wanted.crv !== undefined && !wanted.crv.includes(jwk.crv as string)) return false
  return jwk.alg === undefined || jwk.alg === alg
}
