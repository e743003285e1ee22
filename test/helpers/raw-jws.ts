import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { encodeSegment } from './keys.js'

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
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength, publicExponent })
  return {
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  }
}

export function rawEcKey(kid: string): RawKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  }
}

export type RawAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/**
 * Builds a compact JWS from any header and payload (also used by bench/ to make its tokens) (objects are JSON-encoded; strings are used
 * as the raw JSON text, so duplicate members survive), signed as `signAs` says.
 */
export function rawJws(
  key: { readonly privateKey: KeyObject },
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  signAs: RawAlgorithm = (typeof header === 'object' ? header.alg : 'RS256') as RawAlgorithm,
): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const options =
    signAs === 'PS256'
      ? { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : signAs === 'ES256'
        ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const }
        : key.privateKey
  const digest = signAs === 'EdDSA' ? null : 'sha256'
  const signature = sign(digest, Buffer.from(input), options as KeyObject)
  return `${input}.${signature.toString('base64url')}`
}
