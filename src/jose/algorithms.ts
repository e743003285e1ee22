import { constants } from 'node:crypto'

interface SignatureScheme {
  /** The hash node:crypto applies; null for EdDSA, which hashes internally. */
  readonly digest: string | null
  readonly options?: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' }
  /** Exact signature length for ECDSA (R || S), in bytes. */
  readonly length?: number
}

interface AsymmetricAlgorithmSpec extends SignatureScheme {
  /** The JWK key type the algorithm needs (RFC 7518 §6, RFC 8037 §2). */
  readonly kty: 'RSA' | 'EC' | 'OKP'
  /** The curves it accepts, for EC and OKP keys. */
  readonly crv?: readonly string[]
}

const PSS = {
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
}
const P1363 = { dsaEncoding: 'ieee-p1363' as const }

/**
 * Every asymmetric JWS algorithm oidc-guard verifies, with what it needs: the one table the
 * option schema, key selection and signature verification follow. RFC 7518 §3.3–3.5 and
 * RFC 8037 §3.1: PS* use a salt as long as the hash (§3.5); ECDSA signatures are R || S of fixed
 * length (§3.4).
 */
export const ASYMMETRIC = {
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', options: PSS },
  PS384: { kty: 'RSA', digest: 'sha384', options: PSS },
  PS512: { kty: 'RSA', digest: 'sha512', options: PSS },
  ES256: { kty: 'EC', crv: ['P-256'], digest: 'sha256', options: P1363, length: 64 },
  ES384: { kty: 'EC', crv: ['P-384'], digest: 'sha384', options: P1363, length: 96 },
  ES512: { kty: 'EC', crv: ['P-521'], digest: 'sha512', options: P1363, length: 132 },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'], digest: null },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'], digest: null },
} as const satisfies Record<string, AsymmetricAlgorithmSpec>

/** HMAC algorithms and their hash; usable only with a configured secret (RFC 7518 §3.2). */
export const SYMMETRIC = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
} as const

/** One of {@link ASYMMETRIC_ALGORITHMS}. */
export type AsymmetricAlgorithm = keyof typeof ASYMMETRIC
/** One of {@link SYMMETRIC_ALGORITHMS}. */
export type SymmetricAlgorithm = keyof typeof SYMMETRIC
/** Every JWS algorithm oidc-guard can verify; `none` is not one of them. */
export type Algorithm = AsymmetricAlgorithm | SymmetricAlgorithm

/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allowlist). */
export const ASYMMETRIC_ALGORITHMS = Object.freeze(
  Object.keys(ASYMMETRIC),
) as readonly AsymmetricAlgorithm[]

/** Symmetric algorithms; usable only with a configured `secret`. */
export const SYMMETRIC_ALGORITHMS = Object.freeze(
  Object.keys(SYMMETRIC),
) as readonly SymmetricAlgorithm[]

/** The spec of an asymmetric algorithm, or undefined for any other name (`none` included). */
export function asymmetricSpec(alg: string): AsymmetricAlgorithmSpec | undefined {
  return Object.hasOwn(ASYMMETRIC, alg) ? ASYMMETRIC[alg as AsymmetricAlgorithm] : undefined
}

/** The hash of an HMAC algorithm, or undefined. */
export function macDigest(alg: string): string | undefined {
  return Object.hasOwn(SYMMETRIC, alg) ? SYMMETRIC[alg as SymmetricAlgorithm] : undefined
}
