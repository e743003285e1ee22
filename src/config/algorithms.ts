/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allowlist). */
export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const)

/** Symmetric algorithms; usable only with a configured `secret` (RFC 7518 §3.2). */
export const SYMMETRIC_ALGORITHMS = Object.freeze(['HS256', 'HS384', 'HS512'] as const)

/** One of {@link ASYMMETRIC_ALGORITHMS}. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]
/** One of {@link SYMMETRIC_ALGORITHMS}. */
export type SymmetricAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number]
/** Every JWS algorithm oidc-guard can verify; `none` is not one of them. */
export type Algorithm = AsymmetricAlgorithm | SymmetricAlgorithm
