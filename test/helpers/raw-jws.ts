// The raw signer for oidc-guard's own security tests: tokens with duplicate members, a header
// `alg` other than the signing one, weak keys. It is the testing kit's one signer
// (src/testing/jws.ts) with its raw inputs open; the public `oidc-guard/testing` never exposes
// them (see docs/testing.md).
import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { signJws } from '../../src/testing/jws.js'
import { createTestKeySync, type SigningAlgorithm } from '../../src/testing/keys.js'

/** A key pair made with node:crypto, which (unlike jose) will sign with weak keys too. */
export interface RawKey {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly jwk: JWK
}

export function rawRsaKey(
  kid: string,
  modulusLength = 2048,
  publicExponent = 65537,
  alg = 'RS256',
): RawKey {
  const key = createTestKeySync(alg as SigningAlgorithm, kid, { modulusLength, publicExponent })
  return { privateKey: key.privateKey, publicKey: key.publicKey, jwk: key.publicJwk }
}

export function rawEcKey(kid: string): RawKey {
  const key = createTestKeySync('ES256', kid)
  return { privateKey: key.privateKey, publicKey: key.publicKey, jwk: key.publicJwk }
}

/** HS256 signs with a secret KeyObject (`createSecretKey`) in `privateKey`. */
export type RawAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256'

/**
 * Builds a compact JWS from any header and payload (objects are JSON-encoded; strings are used
 * as the raw JSON text, so duplicate members survive), signed as `signAs` says.
 */
export function rawJws(
  key: { readonly privateKey: KeyObject },
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  signAs: RawAlgorithm = (typeof header === 'object' ? header.alg : 'RS256') as RawAlgorithm,
): string {
  return signJws(key.privateKey, header, payload, signAs)
}
