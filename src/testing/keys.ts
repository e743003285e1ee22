import { generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { JWK } from 'jose'

/** The JWS algorithms the kit signs with (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 `Ed25519`). */
export type SigningAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

/** A signing key of a test issuer: the private half signs, the public JWK is published. */
export interface TestKey {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The public JWK as a JWKS publishes it, with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: JWK
}

/** RSA parameters; only oidc-guard's own tests go below the defaults (to prove weak keys fail). */
export interface RsaParameters {
  /** Bits. Default 2048. */
  readonly modulusLength?: number
  /** Default 65537. */
  readonly publicExponent?: number
}

const CURVES: Partial<Record<SigningAlgorithm, string>> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
}

type KeyRequest =
  | ['rsa', { modulusLength: number; publicExponent: number }]
  | ['ec', { namedCurve: string }]
  | ['ed25519', {}]

function keyRequest(alg: SigningAlgorithm, rsa: RsaParameters): KeyRequest {
  if (alg === 'EdDSA' || alg === 'Ed25519') return ['ed25519', {}]
  const namedCurve = CURVES[alg]
  if (namedCurve !== undefined) return ['ec', { namedCurve }]
  if (!/^(RS|PS)(256|384|512)$/.test(alg)) throw new TypeError(`Unsupported algorithm: ${alg}`)
  return [
    'rsa',
    { modulusLength: rsa.modulusLength ?? 2048, publicExponent: rsa.publicExponent ?? 65537 },
  ]
}

let counter = 0

function toTestKey(
  alg: SigningAlgorithm,
  kid: string,
  pair: { privateKey: KeyObject; publicKey: KeyObject },
): TestKey {
  const publicJwk: JWK = {
    ...(pair.publicKey.export({ format: 'jwk' }) as JWK),
    kid,
    alg,
    use: 'sig',
  }
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk }
}

const generate = promisify(generateKeyPair) as (
  type: string,
  options: object,
) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>

/**
 * A fresh key pair, generated on the thread pool. Default RS256 with a `kid` like `test-rs256-1`.
 *
 * @example
 * ```ts
 * const key = await createTestKey('ES256')
 * ```
 */
export async function createTestKey(
  alg: SigningAlgorithm = 'RS256',
  kid = `test-${alg.toLowerCase()}-${++counter}`,
  rsa: RsaParameters = {},
): Promise<TestKey> {
  const [type, options] = keyRequest(alg, rsa)
  return toTestKey(alg, kid, await generate(type, options))
}

/** `createTestKey`, blocking: for fixtures built at module load. */
export function createTestKeySync(
  alg: SigningAlgorithm = 'RS256',
  kid = `test-${alg.toLowerCase()}-${++counter}`,
  rsa: RsaParameters = {},
): TestKey {
  const [type, options] = keyRequest(alg, rsa)
  return toTestKey(
    alg,
    kid,
    generateKeyPairSync(type as 'rsa', options as { modulusLength: number }),
  )
}
