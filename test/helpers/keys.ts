import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'

export interface TestKey {
  readonly alg: string
  readonly kid: string
  readonly privateKey: CryptoKey
  /** The public JWK as a JWKS would publish it. */
  readonly publicJwk: JWK
}

let counter = 0

/** A fresh signing key with its public JWK (kid and alg set). */
export async function createTestKey(
  alg = 'RS256',
  kid = `key-${alg.toLowerCase()}-${++counter}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicJwk }
}

export interface SignOptions {
  readonly header?: Record<string, unknown>
  /** Omit the kid from the header. */
  readonly noKid?: boolean
}

export const ISSUER = 'https://issuer.test'
export const AUDIENCE = 'orders-api'

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

/** Signs claims with a test key; undefined claims are dropped. */
export async function sign(
  key: TestKey,
  payload: JWTPayload,
  options: SignOptions = {},
): Promise<string> {
  const clean = Object.fromEntries(
    Object.entries(payload).filter(([, value]) => value !== undefined),
  )
  return new SignJWT(clean)
    .setProtectedHeader({
      alg: key.alg,
      typ: 'at+jwt',
      ...(options.noKid ? {} : { kid: key.kid }),
      ...options.header,
    })
    .sign(key.privateKey)
}

/** Base64url of a JSON value, for hand-built tokens. */
export function encodeSegment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  )
}

/**
 * Signs any header and payload segment with an RS256 test key, bypassing jose's own checks, so
 * tests can build tokens a well-behaved library would refuse to produce.
 */
export async function signRaw(
  key: TestKey,
  header: Record<string, unknown>,
  payloadSegment: string,
): Promise<string> {
  const input = `${encodeSegment(header)}.${payloadSegment}`
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key.privateKey,
    new TextEncoder().encode(input),
  )
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}
