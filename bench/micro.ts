/**
 * Micro benchmarks, in process: verification per algorithm against raw jose `jwtVerify` with
 * the same key, guard evaluation, AuthContext construction, and the cache-hit path.
 */
import type { KeyObject } from 'node:crypto'
import { importJWK, jwtVerify, type JWK } from 'jose'
import { createTestKeySync } from '../src/testing/keys.js'
import { signAccessTokens } from './fixtures.js'
import { median } from './stats.js'
import {
  allOf,
  createAuthenticator,
  not,
  requireRole,
  requireScope,
  type AuthRequest,
} from 'oidc-guard'
import { buildAuthContext } from '../src/verify/auth-context.js'
import { createClaimRules } from '../src/claims/claim-mapping.js'

const ISSUER = 'https://idp.bench.example'
const AUDIENCE = 'https://orders.example.com'

interface Algorithm {
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA'
  keys: { privateKey: KeyObject; publicKey: KeyObject }
}

function keysFor(alg: Algorithm['alg']) {
  return createTestKeySync(alg, 'k')
}

function tokensFor({ alg, keys }: Algorithm, count: number): string[] {
  const scope = 'orders:read orders:write'
  return signAccessTokens(keys.privateKey, count, {
    issuer: ISSUER,
    audience: AUDIENCE,
    alg,
    scope,
  })
}

/** CPU µs per operation (all threads, so WebCrypto's thread-pool work counts) and ops/s. */
async function measure(tokens: string[], operation: (token: string) => unknown, batch: number) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < tokens.length; i += batch) {
    const results = tokens.slice(i, i + batch).map(operation)
    if (results[0] instanceof Promise) await Promise.all(results)
  }
  const elapsed = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { cpu: (used.user + used.system) / tokens.length, rate: (tokens.length / elapsed) * 1000 }
}

export async function runMicroBench({
  quick,
  log,
}: {
  quick: boolean
  log: (line: string) => void
}): Promise<string> {
  const count = quick ? 1_000 : 5_000
  const rounds = quick ? 3 : 5
  const lines = [
    '## Micro: verification alone, per algorithm',
    '',
    `${count} distinct tokens per round, ${rounds} rounds, median. oidc-guard: \`authenticator.resolve()\` with the verified-token cache off (tokenCacheSize 0), so every call checks the signature. raw jose: \`jwtVerify(token, key, { issuer, audience, algorithms })\` with the same key imported once, 64 calls in flight. CPU µs counts all threads (WebCrypto verifies on the thread pool).`,
    '',
    '| algorithm | raw jose CPU µs/op | oidc-guard CPU µs/op | oidc-guard ÷ jose | raw jose ops/s | oidc-guard ops/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    const algorithm = { alg, keys: keysFor(alg) }
    const tokens = tokensFor(algorithm, count)
    const jwk = {
      ...(algorithm.keys.publicKey.export({ format: 'jwk' }) as JWK),
      kid: 'k',
      alg,
      use: 'sig',
    }
    const joseKey = await importJWK(jwk, alg)
    const body = JSON.stringify({ keys: [jwk] })
    const auth = createAuthenticator({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${ISSUER}/jwks`,
      tokenCacheSize: 0,
      fetch: async () => new Response(body, { status: 200 }),
    })
    const request = (token: string): AuthRequest => ({
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
    })
    await auth.authenticate(request(tokens[0] as string))
    const jose: { cpu: number; rate: number }[] = []
    const ours: { cpu: number; rate: number }[] = []
    for (let round = 0; round < rounds; round++) {
      jose.push(
        await measure(
          tokens,
          (token) =>
            jwtVerify(token, joseKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }),
          64,
        ),
      )
      ours.push(await measure(tokens, (token) => auth.resolve(request(token)), 64))
    }
    const [joseCpu, oursCpu] = [median(jose.map((m) => m.cpu)), median(ours.map((m) => m.cpu))]
    log(`  ${alg}: jose ${joseCpu.toFixed(1)} µs, oidc-guard ${oursCpu.toFixed(1)} µs`)
    lines.push(
      `| ${alg} | ${joseCpu.toFixed(1)} | ${oursCpu.toFixed(1)} | ${(oursCpu / joseCpu).toFixed(2)} | ${median(jose.map((m) => m.rate)).toFixed(0)} | ${median(ours.map((m) => m.rate)).toFixed(0)} |`,
    )
  }

  // The steady state: a token seen before, guards, and building the context.
  const rsa = { alg: 'RS256' as const, keys: keysFor('RS256') }
  const [token] = tokensFor(rsa, 1) as [string]
  const jwk = {
    ...(rsa.keys.publicKey.export({ format: 'jwk' }) as JWK),
    kid: 'k',
    alg: 'RS256',
    use: 'sig',
  }
  const body = JSON.stringify({ keys: [jwk] })
  const auth = createAuthenticator({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${ISSUER}/jwks`,
    fetch: async () => new Response(body),
  })
  const request: AuthRequest = { method: 'GET', headers: { authorization: `Bearer ${token}` } }
  const context = (await auth.authenticate(request))!
  // Distinct remembered tokens, each a new string as it would come off a socket.
  const pool = tokensFor(rsa, 1_000)
  for (const pooled of pool)
    await auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${pooled}` } })
  let next = 0
  const pooledRequest = () => ({
    method: 'GET',
    headers: { authorization: `Bearer ${pool[next++ % pool.length]}` },
  })
  const scope = requireScope('orders:read')
  const combined = allOf(requireScope('orders:read', 'orders:write'), not(requireRole('suspended')))
  const denied = requireScope('orders:admin')
  const rules = createClaimRules('generic')
  const claims = context.claims
  const iterations = quick ? 200_000 : 2_000_000
  const time = (operation: () => unknown) => {
    for (let i = 0; i < 10_000; i++) operation()
    const started = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) operation()
    return Number(process.hrtime.bigint() - started) / iterations
  }
  const rows: [string, number][] = [
    [
      'cache hit, the same request object again (extract, key, LRU, exact match)',
      time(() => auth.resolve(request)),
    ],
    [
      'cache hit, one of 1,000 remembered tokens, new string each call (extract, key, LRU, exact match)',
      time(() => auth.resolve(pooledRequest())),
    ],
    ['`requireScope(orders:read)` allowed', time(() => scope.evaluate(context, request))],
    [
      '`allOf(requireScope(a, b), not(requireRole(x)))` allowed',
      time(() => combined.evaluate(context, request)),
    ],
    [
      '`requireScope(orders:admin)` denied (builds the explanation)',
      time(() => denied.evaluate(context, request)),
    ],
    ['`authorize()` allowed, no onDecision', time(() => auth.authorize(scope, context, request))],
    [
      'building the AuthContext (claim mapping + freeze)',
      time(() => buildAuthContext(token, claims, rules.map(claims), 'api')),
    ],
  ]
  lines.push(
    '',
    '## Micro: the steady state',
    '',
    `${iterations.toLocaleString('en')} iterations each, after warm-up.`,
    '',
    '| operation | ns/op |',
    '| --- | ---: |',
  )
  for (const [name, ns] of rows) lines.push(`| ${name} | ${ns.toFixed(0)} |`)
  lines.push('')
  return lines.join('\n')
}
