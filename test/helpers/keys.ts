// oidc-guard's unit-test keys and signer: thin names over the testing kit (src/testing/), the
// one implementation shared by the tests, the benchmark and `oidc-guard/testing`.
import { createSecretKey } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { encodeSegment, signJws, signSegments } from '../../src/testing/jws.js'
import {
  createTestKey as createKitKey,
  type SigningAlgorithm,
  type TestKey,
} from '../../src/testing/keys.js'

export type { TestKey }
export { encodeSegment }

/** A fresh signing key with its public JWK (kid and alg set). */
export function createTestKey(alg = 'RS256', kid?: string): Promise<TestKey> {
  return createKitKey(alg as SigningAlgorithm, kid)
}

export interface SignOptions {
  readonly header?: Record<string, unknown>
  /** Omit the kid from the header. */
  readonly noKid?: boolean
}

export const ISSUER = 'https://issuer.test'
export const AUDIENCE = 'orders-api'

let counter = 0

/** Claims of a valid token for ISSUER/AUDIENCE, overridable. */
export function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    client_id: 'client-1',
    jti: `jti-${++counter}`,
    iat: now,
    exp: now + 300,
    scope: 'orders:read',
    ...overrides,
  }
}

/** Signs claims with a test key (`typ: at+jwt`, the key's kid); undefined claims are dropped. */
export async function sign(
  key: TestKey,
  payload: JWTPayload,
  options: SignOptions = {},
): Promise<string> {
  const clean = Object.fromEntries(
    Object.entries(payload).filter(([, value]) => value !== undefined),
  )
  const header = {
    alg: key.alg,
    typ: 'at+jwt',
    ...(options.noKid ? {} : { kid: key.kid }),
    ...options.header,
  }
  return signJws(key.privateKey, header, clean, key.alg)
}

/**
 * Signs any header and an already-encoded payload segment with an RS256 test key, so tests can
 * build tokens a well-behaved library would refuse to produce.
 */
export async function signRaw(
  key: TestKey,
  header: Record<string, unknown>,
  payloadSegment: string,
): Promise<string> {
  return signSegments(key.privateKey, encodeSegment(header), payloadSegment, 'RS256')
}

/** Signs claims with a shared secret (HS256 unless the header says otherwise); no `typ`. */
export async function signHmac(
  secret: string | Uint8Array,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  const alg = (header.alg ?? 'HS256') as 'HS256' | 'HS384' | 'HS512'
  const key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret) : secret)
  return signJws(key, { alg, ...header }, payload as Record<string, unknown>, alg)
}
