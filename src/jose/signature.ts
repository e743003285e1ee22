import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { asymmetricSpec, macDigest } from './algorithms.js'
import { hasDuplicateMember, splitCompactJws } from './compact-jws.js'

/** A compact JWS taken apart once: decoded header and claims, and the bytes to verify. */
export interface ParsedJws {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, as signed. */
  readonly signingInput: string
  readonly signature: Buffer
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeObject(segment: string): Record<string, unknown> | undefined {
  let text: string
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'))
  } catch {
    return undefined
  }
  if (hasDuplicateMember(text)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/**
 * Takes a JWT apart once: a canonical compact JWS (see `splitCompactJws`) whose header and
 * claims are each a UTF-8 JSON object without duplicate member names; otherwise undefined.
 */
export function parseJws(token: string): ParsedJws | undefined {
  const segments = splitCompactJws(token)
  if (segments === undefined) return undefined
  const [encodedHeader, encodedClaims, encodedSignature] = segments
  const header = decodeObject(encodedHeader)
  if (header === undefined) return undefined
  const claims = decodeObject(encodedClaims)
  if (claims === undefined) return undefined
  return {
    header,
    claims,
    signingInput: token.slice(0, encodedHeader.length + 1 + encodedClaims.length),
    signature: Buffer.from(encodedSignature, 'base64url'),
  }
}

/** Verifies an HS256/384/512 MAC in constant time. */
export function verifyMac(
  alg: string,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const digest = macDigest(alg)
  if (digest === undefined) return false
  const expected = createHmac(digest, key).update(signingInput, 'latin1').digest()
  return expected.length === signature.length && timingSafeEqual(expected, signature)
}

/**
 * Verifies a JWS signature with node:crypto on libuv's thread pool (its callback form): the
 * main thread only dispatches, so verification runs beside request handling on another core,
 * without WebCrypto's CryptoKey and promise machinery. The key must already fit the algorithm
 * (see `keyFitsAlgorithm`); the scheme comes from the algorithm table (`ASYMMETRIC`).
 */
export function verifySignature(
  alg: string,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): Promise<boolean> {
  const scheme = asymmetricSpec(alg)
  if (scheme === undefined) return Promise.resolve(false)
  if (scheme.length !== undefined && signature.length !== scheme.length)
    return Promise.resolve(false)
  const data = Buffer.from(signingInput, 'latin1')
  return new Promise((resolve) => {
    try {
      verify(
        scheme.digest,
        data,
        scheme.options ? { key, ...scheme.options } : key,
        signature,
        (error, valid) => resolve(!error && valid),
      )
    } catch {
      resolve(false)
    }
  })
}
