/**
 * Bench fixtures: one RS256 key, a loopback JWKS/discovery server, and tokens for the three
 * modes, all from the testing kit (src/testing/) the tests use too. Tokens are cached in
 * bench/.results/ (RS256 signing 40,000 of them takes ~10 s once).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startJwksServer, type JwksServer } from '../src/testing/jwks-server.js'
import { signJws, type JwsAlgorithm } from '../src/testing/jws.js'
import { createTestKeySync } from '../src/testing/keys.js'

export const RESULTS_DIR = fileURLToPath(new URL('./.results/', import.meta.url))
// A fixed port, so the cached tokens' `iss` stays valid between runs.
export const JWKS_PORT = 47_211
export const ISSUER = `http://127.0.0.1:${JWKS_PORT}`
export const JWKS_URI = `${ISSUER}/jwks`
export const AUDIENCE = 'https://orders.example.com'
export const POOL_SIZE = 2_000
export const UNIQUE_SIZE = 40_000
const KID = 'bench-rs256'

export interface Fixtures {
  readonly privateKey: KeyObject
  readonly publicJwk: Record<string, unknown>
  readonly same: string
  readonly pool: string[]
  readonly unique: string[]
}

export function signToken(
  privateKey: KeyObject,
  claims: Record<string, unknown>,
  kid = KID,
): string {
  return signJws(privateKey, { alg: 'RS256', typ: 'at+jwt', kid }, claims, 'RS256')
}

export function claimsFor(index: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: `user-${index % 500}`,
    client_id: 'bench-client',
    jti: `jti-${index}`,
    iat: now - 60,
    exp: now + 30 * 86_400,
    scope: 'orders:read orders:write',
  }
}

export function loadFixtures(): Fixtures {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = `${RESULTS_DIR}fixtures.json`
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    const fresh = saved.expiresAt > Date.now() / 1000 + 86_400
    if (fresh)
      return { ...saved, privateKey: createPrivateKey({ key: saved.privateJwk, format: 'jwk' }) }
  }
  process.stdout.write(`Signing ${UNIQUE_SIZE + POOL_SIZE} RS256 tokens for the bench (once)…\n`)
  const { privateKey, publicJwk } = createTestKeySync('RS256', KID)
  const tokens = Array.from({ length: UNIQUE_SIZE + POOL_SIZE }, (_, index) =>
    signToken(privateKey, claimsFor(index)),
  )
  const fixtures = {
    publicJwk,
    same: tokens[0] as string,
    pool: tokens.slice(0, POOL_SIZE),
    unique: tokens.slice(POOL_SIZE),
  }
  const expiresAt = (claimsFor(0).exp as number) - 0
  writeFileSync(
    file,
    JSON.stringify({ ...fixtures, expiresAt, privateJwk: privateKey.export({ format: 'jwk' }) }),
  )
  return { ...fixtures, privateKey }
}

/**
 * `count` RFC 9068 access tokens of one key for the in-process benches: subject `u<i>`, `jti`
 * `j<i>`, client `c`, an hour left, kid `k`.
 */
export function signAccessTokens(
  privateKey: KeyObject,
  count: number,
  { issuer, audience, alg = 'RS256', scope = 'orders:read' }: AccessTokenOptions,
): string[] {
  const now = Math.floor(Date.now() / 1000)
  const header = { alg, typ: 'at+jwt', kid: 'k' }
  return Array.from({ length: count }, (_, index) =>
    signJws(
      privateKey,
      header,
      {
        iss: issuer,
        aud: audience,
        sub: `u${index}`,
        client_id: 'c',
        jti: `j${index}`,
        iat: now,
        exp: now + 3600,
        scope,
      },
      alg,
    ),
  )
}

export interface AccessTokenOptions {
  readonly issuer: string
  readonly audience: string
  readonly alg?: JwsAlgorithm
  readonly scope?: string
}

/** The loopback identity-provider stand-in: the kit's JWKS server, with the bench's names. */
export type JwksHost = JwksServer & {
  /** When false, /jwks answers 503. */
  up: boolean
  /** JWKS requests so far. */
  readonly fetches: number
}

export async function startJwksHost(
  keys: Record<string, unknown>[],
  port = JWKS_PORT,
): Promise<JwksHost> {
  const server = await startJwksServer({ port, keys, discovery: true })
  return Object.defineProperties(server as JwksHost, {
    up: {
      get: () => server.behaviour.kind === 'ok',
      set: (up: boolean) => {
        server.behaviour = up ? { kind: 'ok' } : { kind: 'status', status: 503 }
      },
    },
    fetches: { get: () => server.jwksFetches() },
  })
}
