/**
 * Bench fixtures: one RS256 key, a loopback JWKS/discovery server, and tokens for the three
 * modes. Tokens are cached in bench/.results/ (RS256 signing 40,000 of them takes ~10 s once).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { rawJws } from '../test/helpers/raw-jws.js'

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
  return rawJws({ privateKey }, { alg: 'RS256', typ: 'at+jwt', kid }, claims)
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
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const publicJwk = {
    ...createPublicKey(privateKey).export({ format: 'jwk' }),
    kid: KID,
    alg: 'RS256',
    use: 'sig',
  }
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

/** The loopback identity-provider stand-in: discovery and JWKS, counting JWKS fetches. */
export interface JwksHost {
  readonly server: Server
  keys: Record<string, unknown>[]
  up: boolean
  fetches: number
  close(): Promise<void>
}

export async function startJwksHost(
  keys: Record<string, unknown>[],
  port = JWKS_PORT,
): Promise<JwksHost> {
  const host = { keys, up: true, fetches: 0 } as JwksHost
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          issuer: ISSUER,
          jwks_uri: JWKS_URI,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      )
      return
    }
    if (req.url === '/jwks') {
      host.fetches += 1
      if (!host.up) return void res.writeHead(503).end()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: host.keys }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return Object.assign(host, {
    server,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}
