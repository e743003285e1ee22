import { createSecretKey } from 'node:crypto'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthenticateOptions } from 'oidc-guard'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { encodeSegment } from '../helpers/keys.js'
import { rawEcKey, rawJws, rawRsaKey, type RawKey } from '../helpers/raw-jws.js'
import { buildApp, FRAMEWORK_NAMES, type RunningApp } from '../helpers/route-apps.js'

/*
 * The JWT attack suite. Every case names the rule it defends, runs on Express, Koa and Fastify,
 * and asserts the exact status (and, for 401, the invalid_token challenge).
 */

const AUDIENCE = 'orders-api'
let idp: JwksServer
let attacker: JwksServer
let rsa: RawKey
let rsa2: RawKey
let ec: RawKey
let ps: RawKey
let weak1024: RawKey
let tinyExponent: RawKey

interface Ctx {
  readonly iss: string
  readonly attackerUrl: string
  claims(extra?: Record<string, unknown>): Record<string, unknown>
  header(extra?: Record<string, unknown>): Record<string, unknown>
}

interface AttackCase {
  readonly name: string
  /** The RFC section or CVE the case defends. */
  readonly ref: string
  readonly path?: string
  readonly authorization?: (ctx: Ctx) => string | string[]
  readonly query?: (ctx: Ctx) => string
  readonly status: 200 | 400 | 401 | 403
  readonly description?: string
}

const now = () => Math.floor(Date.now() / 1000)
const bearer = (make: (ctx: Ctx) => string) => (ctx: Ctx) => `Bearer ${make(ctx)}`
const signed = (
  claims: (ctx: Ctx) => Record<string, unknown>,
  header: (ctx: Ctx) => Record<string, unknown> = (c) => c.header(),
) => bearer((ctx) => rawJws(rsa, header(ctx), claims(ctx)))
const hs256 = (secret: Buffer | string, header: Record<string, unknown> = {}) =>
  bearer((ctx) =>
    rawJws(
      { privateKey: createSecretKey(Buffer.from(secret)) },
      { alg: 'HS256', typ: 'at+jwt', ...header },
      ctx.claims(),
    ),
  )
const swapSignature = (token: string, signature: string) =>
  `${token.slice(0, token.lastIndexOf('.'))}.${signature}`
// P-256 group order n: r or s equal to 0 or n must never verify (CVE-2022-21449, "psychic signatures").
const P256_N = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
)

const CASES: AttackCase[] = [
  {
    name: 'control: a valid RS256 token',
    ref: 'RFC 7515',
    authorization: signed((c) => c.claims()),
    status: 200,
  },
  {
    name: 'control: a valid ES256 token',
    ref: 'RFC 7518 §3.4',
    authorization: bearer((c) =>
      rawJws(ec, { alg: 'ES256', kid: 'ec', typ: 'at+jwt' }, c.claims()),
    ),
    status: 200,
  },
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): AttackCase[] => [
    {
      name: `alg ${alg}, empty signature`,
      ref: 'RFC 8725 §3.1',
      authorization: bearer(
        (c) => `${encodeSegment({ alg, typ: 'at+jwt' })}.${encodeSegment(c.claims())}.`,
      ),
      status: 401,
    },
    {
      name: `alg ${alg}, bogus signature`,
      ref: 'RFC 8725 §3.1',
      authorization: bearer(
        (c) => `${encodeSegment({ alg, kid: 'rsa' })}.${encodeSegment(c.claims())}.AAAA`,
      ),
      status: 401,
      description: 'The access token algorithm is not accepted',
    },
  ]),
  {
    name: 'HS256 keyed with the RSA public key (SPKI PEM)',
    ref: 'RFC 8725 §3.1, CVE-2015-9235',
    authorization: (c) =>
      hs256(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string, { kid: 'rsa' })(c),
    status: 401,
    description: 'The access token algorithm is not accepted',
  },
  {
    name: 'HS256 keyed with the RSA public key (PEM without final newline)',
    ref: 'CVE-2016-10555',
    authorization: (c) =>
      hs256((rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string).trimEnd())(c),
    status: 401,
  },
  {
    name: 'HS256 keyed with the RSA public key (PKCS#1 PEM)',
    ref: 'CVE-2016-10555',
    authorization: (c) =>
      hs256(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string)(c),
    status: 401,
  },
  {
    name: 'HS256 keyed with the RSA public key (DER)',
    ref: 'CVE-2016-10555',
    authorization: (c) => hs256(rsa.publicKey.export({ type: 'spki', format: 'der' }))(c),
    status: 401,
  },
  {
    name: 'HS256 keyed with the JWK bytes',
    ref: 'CVE-2022-23529',
    authorization: (c) => hs256(JSON.stringify(rsa.jwk))(c),
    status: 401,
  },
  {
    name: 'HS256 keyed with the EC public key',
    ref: 'CVE-2016-10555',
    authorization: (c) =>
      hs256(ec.publicKey.export({ type: 'spki', format: 'pem' }) as string, { kid: 'ec' })(c),
    status: 401,
  },
  {
    name: 'embedded jwk header with the attacker key',
    ref: 'RFC 8725 §3.5, CVE-2018-0114',
    authorization: bearer((c) =>
      rawJws(attackerKey, { ...c.header({ kid: 'attacker' }), jwk: attackerKey.jwk }, c.claims()),
    ),
    status: 401,
  },
  {
    name: 'embedded jwk header reusing the real kid',
    ref: 'RFC 8725 §3.5',
    authorization: bearer((c) =>
      rawJws(attackerKey, { ...c.header(), jwk: { ...attackerKey.jwk, kid: 'rsa' } }, c.claims()),
    ),
    status: 401,
    description: 'The access token signature is invalid',
  },
  {
    name: 'jku header pointing at the attacker',
    ref: 'RFC 8725 §3.5',
    authorization: bearer((c) =>
      rawJws(attackerKey, { ...c.header({ kid: 'attacker' }), jku: c.attackerUrl }, c.claims()),
    ),
    status: 401,
  },
  {
    name: 'x5u header pointing at the attacker',
    ref: 'RFC 8725 §3.5',
    authorization: bearer((c) =>
      rawJws(attackerKey, { ...c.header({ kid: 'attacker' }), x5u: c.attackerUrl }, c.claims()),
    ),
    status: 401,
  },
  {
    name: 'x5c header with the attacker certificate',
    ref: 'RFC 8725 §3.5',
    authorization: bearer((c) =>
      rawJws(
        attackerKey,
        { ...c.header({ kid: 'attacker' }), x5c: ['MIIBszCCAVmgAwIBAgIU'] },
        c.claims(),
      ),
    ),
    status: 401,
  },
  {
    name: 'kid path traversal',
    ref: 'RFC 8725 §3.10',
    authorization: bearer((c) =>
      rawJws(rsa, c.header({ kid: '../../../../../../dev/null' }), c.claims()),
    ),
    status: 401,
  },
  {
    name: 'kid SQL injection',
    ref: 'RFC 8725 §3.10',
    authorization: bearer((c) =>
      rawJws(rsa, c.header({ kid: "x' UNION SELECT 'secret' --" }), c.claims()),
    ),
    status: 401,
  },
  {
    name: 'kid as a number',
    ref: 'RFC 7515 §4.1.4',
    authorization: bearer((c) => rawJws(rsa, c.header({ kid: 1 }), c.claims())),
    status: 401,
  },
  {
    name: 'kid as an object',
    ref: 'RFC 7515 §4.1.4',
    authorization: bearer((c) => rawJws(rsa, c.header({ kid: { $ne: null } }), c.claims())),
    status: 401,
  },
  {
    name: 'kid as null',
    ref: 'RFC 7515 §4.1.4',
    authorization: bearer((c) => rawJws(rsa, c.header({ kid: null }), c.claims())),
    status: 401,
  },
  {
    name: 'unknown kid',
    ref: 'RFC 7517 §4.5',
    authorization: bearer((c) => rawJws(rsa, c.header({ kid: 'rotated-away' }), c.claims())),
    status: 401,
  },
  {
    name: 'missing kid with two RS256 keys published',
    ref: 'RFC 7515 §4.1.4',
    authorization: bearer((c) => rawJws(rsa, { alg: 'RS256', typ: 'at+jwt' }, c.claims())),
    status: 401,
  },
  {
    name: 'a key the JWKS does not hold, under a real kid',
    ref: 'RFC 7515 §5.2',
    authorization: bearer((c) => rawJws(attackerKey, c.header(), c.claims())),
    status: 401,
    description: 'The access token signature is invalid',
  },
  {
    name: 'PS256 signature under a key labelled RS256',
    ref: 'RFC 7517 §4.4',
    authorization: bearer((c) => rawJws(rsa, c.header({ alg: 'PS256' }), c.claims(), 'PS256')),
    status: 401,
    description: 'No key of the issuer matches the access token',
  },
  {
    name: 'control: PS256 under a key labelled PS256',
    ref: 'RFC 7518 §3.5',
    authorization: bearer((c) =>
      rawJws(ps, c.header({ alg: 'PS256', kid: 'ps' }), c.claims(), 'PS256'),
    ),
    status: 200,
  },
  {
    name: 'RS256 signature under a key labelled PS256',
    ref: 'RFC 7517 §4.4',
    authorization: bearer((c) => rawJws(ps, c.header({ kid: 'ps' }), c.claims())),
    status: 401,
  },
  {
    name: 'ES256 header with the RSA kid',
    ref: 'RFC 7518 §3.1',
    authorization: bearer((c) => rawJws(ec, c.header({ alg: 'ES256' }), c.claims(), 'ES256')),
    status: 401,
  },
  {
    name: 'a 1024-bit RSA key in the JWKS',
    ref: 'RFC 7518 §3.3',
    authorization: bearer((c) => rawJws(weak1024, c.header({ kid: 'weak-1024' }), c.claims())),
    status: 401,
  },
  {
    name: 'an RSA key with public exponent 3 in the JWKS',
    ref: 'RFC 8017 §3.1',
    authorization: bearer((c) => rawJws(tinyExponent, c.header({ kid: 'tiny-e' }), c.claims())),
    status: 401,
  },
  {
    name: 'ECDSA r = s = 0',
    ref: 'CVE-2022-21449',
    authorization: bearer((c) =>
      swapSignature(
        rawJws(ec, { alg: 'ES256', kid: 'ec' }, c.claims(), 'ES256'),
        Buffer.alloc(64).toString('base64url'),
      ),
    ),
    status: 401,
  },
  {
    name: 'ECDSA r = s = n',
    ref: 'CVE-2022-21449',
    authorization: bearer((c) =>
      swapSignature(
        rawJws(ec, { alg: 'ES256', kid: 'ec' }, c.claims(), 'ES256'),
        Buffer.concat([P256_N, P256_N]).toString('base64url'),
      ),
    ),
    status: 401,
  },
  {
    name: 'ECDSA signature in DER instead of R||S',
    ref: 'RFC 7518 §3.4',
    authorization: bearer((c) =>
      swapSignature(
        rawJws(ec, { alg: 'ES256', kid: 'ec' }, c.claims(), 'ES256'),
        Buffer.concat([
          Buffer.from([0x30, 0x44, 0x02, 0x20]),
          Buffer.alloc(32, 1),
          Buffer.from([0x02, 0x20]),
          Buffer.alloc(32, 1),
        ]).toString('base64url'),
      ),
    ),
    status: 401,
  },
  {
    name: 'base64 padding on the signature',
    ref: 'RFC 7515 §2',
    authorization: bearer((c) => `${rawJws(rsa, c.header(), c.claims())}==`),
    status: 401,
  },
  {
    name: '+ and / instead of - and _',
    ref: 'RFC 7515 §2',
    authorization: bearer((c) =>
      rawJws(rsa, c.header(), c.claims())
        .replaceAll('-', '+')
        .replaceAll('_', '/')
        .replace(/^([^+/]*)$/, '$1+'),
    ),
    status: 401,
  },
  {
    name: 'non-zero trailing bits in the signature',
    ref: 'RFC 4648 §3.5',
    authorization: bearer((c) => nonCanonicalTail(rawJws(rsa, c.header(), c.claims()))),
    status: 401,
    description: 'The access token is malformed',
  },
  {
    name: 'duplicate alg in the header',
    ref: 'RFC 7515 §5.2',
    authorization: bearer((c) =>
      rawJws(rsa, `{"alg":"RS256","kid":"rsa","typ":"at+jwt","alg":"RS256"}`, c.claims(), 'RS256'),
    ),
    status: 401,
    description: 'The access token is malformed',
  },
  {
    name: 'duplicate scope in the payload',
    ref: 'RFC 7519 §4',
    authorization: bearer((c) =>
      rawJws(rsa, c.header(), JSON.stringify(c.claims()).replace(/}$/, ',"scope":"orders:admin"}')),
    ),
    status: 401,
    description: 'The access token is malformed',
  },
  {
    name: 'duplicate sub spelt with an escape',
    ref: 'RFC 7519 §4',
    authorization: bearer((c) =>
      rawJws(rsa, c.header(), JSON.stringify(c.claims()).replace(/}$/, ',"\\u0073ub":"admin"}')),
    ),
    status: 401,
  },
  {
    name: 'unknown crit extension',
    ref: 'RFC 7515 §4.1.11',
    authorization: bearer((c) =>
      rawJws(
        rsa,
        c.header({ crit: ['http://example.com/ext'], 'http://example.com/ext': true }),
        c.claims(),
      ),
    ),
    status: 401,
  },
  {
    name: 'crit not a list',
    ref: 'RFC 7515 §4.1.11',
    authorization: bearer((c) => rawJws(rsa, c.header({ crit: 'exp' }), c.claims())),
    status: 401,
  },
  {
    name: 'crit empty',
    ref: 'RFC 7515 §4.1.11',
    authorization: bearer((c) => rawJws(rsa, c.header({ crit: [] }), c.claims())),
    status: 401,
  },
  {
    name: 'b64: false (unencoded payload)',
    ref: 'RFC 7797 §7',
    authorization: bearer((c) => rawJws(rsa, c.header({ b64: false, crit: ['b64'] }), c.claims())),
    status: 401,
  },
  {
    name: 'JWE (five parts) presented as a JWS',
    ref: 'RFC 7516 §7.1',
    authorization: () =>
      `Bearer ${encodeSegment({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.AAAA.AAAA.AAAA.AAAA`,
    status: 401,
  },
  {
    name: 'header that is a JSON list',
    ref: 'RFC 7515 §4',
    authorization: bearer((c) => rawJws(rsa, '[]', c.claims())),
    status: 401,
  },
  {
    name: 'payload that is a JSON string',
    ref: 'RFC 7519 §7.2',
    authorization: bearer((c) => rawJws(rsa, c.header(), '"orders:read"')),
    status: 401,
  },
  {
    name: 'an ID token presented as an access token',
    ref: 'RFC 8725 §3.11, RFC 9068 §4',
    authorization: signed(
      (c) =>
        c.claims({ nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', auth_time: now() }),
      (c) => c.header({ typ: 'JWT' }),
    ),
    status: 401,
    description: 'The token is not an access token',
  },
  {
    name: 'another JWT type (logout+jwt)',
    ref: 'RFC 8725 §3.11',
    authorization: signed(
      (c) => c.claims(),
      (c) => c.header({ typ: 'logout+jwt' }),
    ),
    status: 401,
    description: 'The access token type is not accepted',
  },
  {
    name: 'exp as a string',
    ref: 'RFC 7519 §4.1.4',
    authorization: signed((c) => c.claims({ exp: String(now() + 300) })),
    status: 401,
  },
  {
    name: 'exp missing',
    ref: 'RFC 9068 §2.2',
    authorization: signed((c) => c.claims({ exp: undefined })),
    status: 401,
    description: 'The access token lacks a required claim',
  },
  {
    name: 'exp in the past',
    ref: 'RFC 7519 §4.1.4',
    authorization: signed((c) => c.claims({ exp: now() - 60 })),
    status: 401,
    description: 'The access token expired',
  },
  {
    name: 'nbf as a string',
    ref: 'RFC 7519 §4.1.5',
    authorization: signed((c) => c.claims({ nbf: String(now()) })),
    status: 401,
  },
  {
    name: 'nbf far in the future',
    ref: 'RFC 7519 §4.1.5',
    authorization: signed((c) => c.claims({ nbf: now() + 86_400 * 365 })),
    status: 401,
    description: 'The access token is not valid yet',
  },
  {
    name: 'iat as a string',
    ref: 'RFC 7519 §4.1.6',
    authorization: signed((c) => c.claims({ iat: 'now' })),
    status: 401,
  },
  {
    name: 'iat far in the future',
    ref: 'RFC 7519 §4.1.6',
    authorization: signed((c) => c.claims({ iat: now() + 86_400 })),
    status: 401,
    description: 'The access token has an invalid issue time',
  },
  {
    name: 'exp far in the future, under maxTokenLifetime',
    ref: 'RFC 8725 §3.10',
    path: '/lifetime',
    authorization: signed((c) => c.claims({ exp: now() + 86_400 * 3650 })),
    status: 401,
    description: 'The access token lives longer than accepted',
  },
  {
    name: 'iss missing',
    ref: 'RFC 9068 §2.2',
    authorization: signed((c) => c.claims({ iss: undefined })),
    status: 401,
  },
  {
    name: 'aud missing',
    ref: 'RFC 9068 §2.2',
    authorization: signed((c) => c.claims({ aud: undefined })),
    status: 401,
  },
  {
    name: 'sub missing, strict profile',
    ref: 'RFC 9068 §2.2',
    path: '/strict',
    authorization: signed((c) => c.claims({ sub: undefined })),
    status: 401,
  },
  {
    name: 'typ JWT, strict profile',
    ref: 'RFC 9068 §2.1',
    path: '/strict',
    authorization: signed(
      (c) => c.claims(),
      (c) => c.header({ typ: 'JWT' }),
    ),
    status: 401,
  },
  {
    name: 'control: strict profile accepts an RFC 9068 token',
    ref: 'RFC 9068 §2',
    path: '/strict',
    authorization: signed((c) => c.claims()),
    status: 200,
  },
  // RFC 9068 §2.2.3: in the strict profile, claim shapes are read as the RFC defines them.
  {
    name: 'strict: scope as a JSON array grants nothing',
    ref: 'RFC 9068 §2.2.3, RFC 8693 §4.2',
    path: '/strict-orders',
    authorization: signed((c) => c.claims({ scope: ['orders:read'] })),
    status: 403,
  },
  {
    name: 'strict: scp counts only for presets that name it',
    ref: 'RFC 9068 §2.2.3',
    path: '/strict-orders',
    authorization: signed((c) => c.claims({ scope: undefined, scp: 'orders:read' })),
    status: 403,
  },
  {
    name: 'strict: a roles string grants no role',
    ref: 'RFC 9068 §2.2.3.1, RFC 7643 §4.1.2',
    path: '/strict-admin',
    authorization: signed((c) => c.claims({ roles: 'admin' })),
    status: 403,
  },
  {
    name: 'control: strict profile grants a space-delimited scope string',
    ref: 'RFC 9068 §2.2.3',
    path: '/strict-orders',
    authorization: signed((c) => c.claims({ scope: 'profile orders:read' })),
    status: 200,
  },
  {
    name: 'control: strict profile grants roles from a JSON array',
    ref: 'RFC 9068 §2.2.3.1',
    path: '/strict-admin',
    authorization: signed((c) => c.claims({ roles: ['admin'] })),
    status: 200,
  },
  {
    name: 'control: strict profile with the entra preset counts scp',
    ref: 'RFC 9068 §2.2.3',
    path: '/strict-entra',
    authorization: signed((c) => c.claims({ scope: undefined, scp: 'orders:read' })),
    status: 200,
  },
  {
    name: 'control: the default profile still reads a scope list',
    ref: 'RFC 9068 §2.2.3',
    authorization: signed((c) => c.claims({ scope: ['orders:read'] })),
    status: 200,
  },
  ...[
    (iss: string) => `${iss}/`,
    (iss: string) => iss.toUpperCase(),
    (iss: string) => `${iss}.evil.example`,
    (iss: string) => `${iss}/realms/other`,
    (iss: string) => iss.replace('http://', 'https://'),
  ].map((lookAlike, index): AttackCase => ({
    name: `look-alike issuer #${index + 1}`,
    ref: 'RFC 8725 §3.8',
    authorization: signed((c) => c.claims({ iss: lookAlike(c.iss) })),
    status: 401,
    description: 'The access token was issued by another issuer',
  })),
  ...['orders-api/', 'ORDERS-API', 'orders-api-staging', ' orders-api', 'xorders-api'].map(
    (aud): AttackCase => ({
      name: `look-alike audience ${JSON.stringify(aud)}`,
      ref: 'RFC 8725 §3.9',
      authorization: signed((c) => c.claims({ aud })),
      status: 401,
      description: 'The access token is not meant for this audience',
    }),
  ),
  ...[['orders:read2'], ['xorders:read'], ['ORDERS:READ'], ['orders:read orders:write']].map(
    (scp): AttackCase => ({
      name: `look-alike scope ${JSON.stringify(scp)}`,
      ref: 'RFC 6749 §3.3',
      authorization: signed((c) => c.claims({ scope: undefined, scp })),
      status: 403,
    }),
  ),
  {
    name: 'scope string with a look-alike',
    ref: 'RFC 6749 §3.3',
    authorization: signed((c) => c.claims({ scope: 'orders:read2 xorders:read' })),
    status: 403,
  },
  ...[['Admin'], ['admin '], ['administrator'], 'superadmin'].map((roles): AttackCase => ({
    name: `look-alike role ${JSON.stringify(roles)}`,
    ref: 'RFC 9068 §7.2',
    path: '/admin',
    authorization: signed((c) => c.claims({ roles })),
    status: 403,
  })),
  {
    name: 'control: the admin role',
    ref: 'RFC 9068 §7.2',
    path: '/admin',
    authorization: signed((c) => c.claims({ roles: ['admin'] })),
    status: 200,
  },
  {
    name: 'two Authorization headers',
    ref: 'RFC 6750 §2',
    authorization: (c) => [`Bearer ${rawJws(rsa, c.header(), c.claims())}`, 'Bearer x'],
    status: 400,
  },
  {
    name: 'a tab after the scheme',
    ref: 'RFC 7235 §2.1',
    authorization: (c) => `Bearer\t${rawJws(rsa, c.header(), c.claims())}`,
    status: 401,
  },
  {
    name: 'a tab inside the credentials',
    ref: 'RFC 6750 §2.1',
    authorization: (c) => `Bearer \t${rawJws(rsa, c.header(), c.claims())}`,
    status: 400,
  },
  {
    name: 'a comma-joined second credential',
    ref: 'RFC 6750 §2.1',
    authorization: (c) => `Bearer ${rawJws(rsa, c.header(), c.claims())}, Bearer x`,
    status: 400,
  },
  {
    name: 'several spaces after the scheme (1*SP)',
    ref: 'RFC 7235 §2.1',
    authorization: (c) => `Bearer    ${rawJws(rsa, c.header(), c.claims())}`,
    status: 200,
  },
  {
    name: 'token in the query string when not enabled',
    ref: 'RFC 6750 §2.3, §5.3',
    query: (c) => `access_token=${rawJws(rsa, c.header(), c.claims())}`,
    status: 401,
  },
  {
    name: 'a token over maxTokenLength',
    ref: 'RFC 8725 §3.12',
    authorization: () => `Bearer ${'A'.repeat(8193)}`,
    status: 401,
    description: 'The access token is too large',
  },
]

let attackerKey: RawKey

function nonCanonicalTail(token: string): string {
  const signature = token.slice(token.lastIndexOf('.') + 1)
  // A 256-byte signature is 342 characters: its last character carries 4 unused bits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(signature.at(-1) as string)
  return `${token.slice(0, -1)}${alphabet[last | 1]}`
}

beforeAll(async () => {
  ;[idp, attacker] = await Promise.all([startJwksServer(), startJwksServer()])
  rsa = rawRsaKey('rsa')
  rsa2 = rawRsaKey('rsa-2')
  ec = rawEcKey('ec')
  ps = rawRsaKey('ps', 2048, 65537, 'PS256')
  weak1024 = rawRsaKey('weak-1024', 1024)
  tinyExponent = rawRsaKey('tiny-e', 2048, 3)
  attackerKey = rawRsaKey('attacker')
  idp.keys = [rsa.jwk, rsa2.jwk, ec.jwk, ps.jwk, weak1024.jwk, tinyExponent.jwk]
  attacker.keys = [attackerKey.jwk]
})
afterAll(async () => {
  await Promise.all([idp.close(), attacker.close()])
})

describe.each(FRAMEWORK_NAMES)('JWT attack suite on %s', (framework) => {
  let app: RunningApp
  let ctx: Ctx

  beforeAll(async () => {
    const options: AuthenticateOptions = {
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: idp.jwksUri,
      cooldownDuration: 0,
    }
    app = await buildApp(framework, [
      { path: '/orders', options, guards: (g) => [g.requireScope('orders:read')] },
      { path: '/admin', options, guards: (g) => [g.requireRole('admin')] },
      { path: '/strict', options: { ...options, profile: 'strict' } },
      {
        path: '/strict-orders',
        options: { ...options, profile: 'strict' },
        guards: (g) => [g.requireScope('orders:read')],
      },
      {
        path: '/strict-admin',
        options: { ...options, profile: 'strict' },
        guards: (g) => [g.requireRole('admin')],
      },
      {
        path: '/strict-entra',
        options: { ...options, profile: 'strict', claims: 'entra' },
        guards: (g) => [g.requireScope('orders:read')],
      },
      { path: '/lifetime', options: { ...options, maxTokenLifetime: 86_400 } },
    ])
    ctx = {
      iss: idp.issuer,
      attackerUrl: attacker.jwksUri,
      header: (extra = {}) => ({ alg: 'RS256', kid: 'rsa', typ: 'at+jwt', ...extra }),
      claims: (extra = {}) =>
        Object.fromEntries(
          Object.entries({
            iss: idp.issuer,
            aud: AUDIENCE,
            sub: 'user-1',
            client_id: 'c',
            jti: 'j',
            iat: now(),
            exp: now() + 300,
            scope: 'orders:read',
            ...extra,
          }).filter(([, value]) => value !== undefined),
        ),
    }
  })
  afterAll(async () => {
    await app.close()
    // Nothing in any token made the server fetch from the attacker.
    expect(attacker.hits.size).toBe(0)
  })

  it.each(CASES)('$name ($ref)', async (attack) => {
    let call = request(app.server).get(
      `${attack.path ?? '/orders'}${attack.query ? `?${attack.query(ctx)}` : ''}`,
    )
    const authorization = attack.authorization?.(ctx)
    if (authorization !== undefined) call = call.set('Authorization', authorization as string)
    const response = await call
    expect(response.status).toBe(attack.status)
    if (
      attack.status === 401 &&
      authorization !== undefined &&
      !authorization.toString().startsWith('Bearer\t')
    ) {
      expect(response.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
      )
    }
    if (attack.description) expect(response.body.error_description).toBe(attack.description)
    expect(JSON.stringify(response.body)).not.toMatch(/at |jose|stack|kid-|rsa|eyJ/)
  })
})

export const ATTACK_CASE_COUNT = CASES.length
