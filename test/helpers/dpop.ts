import { createHash, randomUUID } from 'node:crypto'
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose'

/** What a proof says; every field can be overridden or dropped (undefined) by a test. */
export interface ProofClaims {
  htm?: string
  htu?: string
  iat?: number
  jti?: string
  ath?: string
  nonce?: string
  [name: string]: unknown
}

/** A DPoP client: its key pair and thumbprint, making proofs as RFC 9449 §4.2 says. */
export interface DpopClient {
  readonly alg: string
  readonly publicJwk: JWK
  readonly privateJwk: JWK
  readonly thumbprint: string
  readonly privateKey: CryptoKey
  /** A proof for `htm`/`htu`, bound to `token` (its `ath`) when given. */
  proof(
    htm: string,
    htu: string,
    token?: string,
    overrides?: ProofClaims,
    header?: Record<string, unknown>,
  ): Promise<string>
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url')

export async function createDpopClient(alg = 'ES256'): Promise<DpopClient> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const privateJwk = await exportJWK(privateKey)
  return {
    alg,
    publicJwk,
    privateJwk,
    privateKey,
    thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'),
    async proof(htm, htu, token, overrides = {}, header = {}) {
      const claims: ProofClaims = {
        htm,
        htu,
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        ...(token !== undefined && { ath: ath(token) }),
        ...overrides,
      }
      const clean = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
      return new SignJWT(clean)
        .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: publicJwk, ...header })
        .sign(privateKey)
    },
  }
}
