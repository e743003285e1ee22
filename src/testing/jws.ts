import { constants, createHmac, sign, type KeyObject } from 'node:crypto'
import type { SigningAlgorithm } from './keys.js'

/** Base64url of a JSON value; a string is taken as the JSON text itself. */
export function encodeSegment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  )
}

/** What the signer signs with: the kit's key algorithms, and HS* with a secret KeyObject. */
export type JwsAlgorithm = SigningAlgorithm | 'HS256' | 'HS384' | 'HS512'

const DIGESTS: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/**
 * Signs a compact JWS (RFC 7515 §7.1) with node:crypto, synchronously. The header and payload
 * are JSON-encoded objects, or raw JSON text used as is (so oidc-guard's own security tests can
 * build duplicate members and other malformed tokens); `signAs` may differ from the header's
 * `alg` for the same reason. The public kit only ever passes objects and the key's own algorithm.
 */
export function signJws(
  privateKey: KeyObject,
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  signAs: JwsAlgorithm,
): string {
  return signSegments(privateKey, encodeSegment(header), encodeSegment(payload), signAs)
}

/**
 * Signs already-encoded header and payload segments, whatever bytes they hold. `privateKey` is
 * a secret KeyObject for HS* (RFC 7518 §3.2).
 */
export function signSegments(
  privateKey: KeyObject,
  headerSegment: string,
  payloadSegment: string,
  signAs: JwsAlgorithm,
): string {
  const input = `${headerSegment}.${payloadSegment}`
  const family = signAs.slice(0, 2)
  const digest = family === 'Ed' ? null : (DIGESTS[signAs.slice(2)] as string)
  if (family === 'HS') {
    return `${input}.${createHmac(digest as string, privateKey)
      .update(input)
      .digest('base64url')}`
  }
  // RFC 7518 §3.5: PSS salt as long as the hash; §3.4: ECDSA signatures are R || S.
  const key =
    family === 'PS'
      ? {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }
      : family === 'ES'
        ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const }
        : privateKey
  return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`
}
