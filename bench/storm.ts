/**
 * Key-set storms: a key rotation under load, a made-up-kid flood, and the provider going down,
 * each with 500 concurrent authentications against a real loopback JWKS endpoint.
 */
import { createAuthenticator, isOidcGuardError } from 'oidc-guard'
import { createTestKeySync } from '../src/testing/keys.js'
import {
  AUDIENCE,
  ISSUER,
  claimsFor,
  signToken,
  startJwksHost,
  type Fixtures,
  type JwksHost,
} from './fixtures.js'

const CONCURRENT = 500
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function outcomes(auth: ReturnType<typeof createAuthenticator>, tokens: string[]) {
  const results = await Promise.all(
    tokens.map((token) =>
      auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } }).then(
        () => 200,
        (error: unknown) => (isOidcGuardError(error) ? error.status : 500),
      ),
    ),
  )
  const count = (status: number) => results.filter((result) => result === status).length
  return {
    ok: count(200),
    unauthorized: count(401),
    unavailable: count(503),
    other: results.length - count(200) - count(401) - count(503),
  }
}

export async function runStormBench(
  fixtures: Fixtures,
  _sharedHost: JwksHost,
  { log }: { log: (line: string) => void },
): Promise<string> {
  // Its own JWKS host (its keys change), on the issuer's port so the fixture tokens' `iss` fits.
  await _sharedHost.close()
  const host = await startJwksHost([fixtures.publicJwk])
  const cooldownDuration = 1_000
  const auth = createAuthenticator({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${ISSUER}/jwks`,
    cooldownDuration,
  })
  const rows: string[] = []
  try {
    await auth.authenticate({
      method: 'GET',
      headers: { authorization: `Bearer ${fixtures.same}` },
    })
    await sleep(cooldownDuration + 100)

    // 1. Rotation: the provider publishes a new key; 500 requests signed with it arrive at once.
    const { privateKey, publicJwk: rotatedJwk } = createTestKeySync('RS256', 'rotated')
    host.keys = [rotatedJwk, fixtures.publicJwk]
    const rotated = Array.from({ length: CONCURRENT }, (_, i) =>
      signToken(privateKey, claimsFor(100_000 + i), 'rotated'),
    )
    let before = host.fetches
    const rotation = await outcomes(auth, rotated)
    rows.push(
      `| ${CONCURRENT} concurrent requests signed by a just-rotated key | ${host.fetches - before} | ${rotation.ok} ok, ${rotation.unauthorized} × 401, ${rotation.unavailable} × 503 |`,
    )

    // 2. A made-up-kid flood, right after (inside the cooldown window) and after it.
    const madeUp = (round: number) =>
      fixtures.unique.slice(0, CONCURRENT).map((token, i) => {
        const [, payload, signature] = token.split('.')
        const header = Buffer.from(
          JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: `made-up-${round}-${i}` }),
        ).toString('base64url')
        return `${header}.${payload}.${signature}`
      })
    before = host.fetches
    const flood = await outcomes(auth, madeUp(1))
    rows.push(
      `| ${CONCURRENT} concurrent made-up kids, inside the cooldown window | ${host.fetches - before} | ${flood.unauthorized} × 401, ${flood.ok} ok |`,
    )
    await sleep(cooldownDuration + 100)
    before = host.fetches
    const flood2 = await outcomes(auth, madeUp(2))
    rows.push(
      `| ${CONCURRENT} concurrent made-up kids, after the window | ${host.fetches - before} | ${flood2.unauthorized} × 401, ${flood2.ok} ok |`,
    )

    // 3. The provider goes down after warm-up: cached keys keep serving.
    host.up = false
    await sleep(cooldownDuration + 100)
    before = host.fetches
    const down = await outcomes(auth, fixtures.unique.slice(CONCURRENT, 2 * CONCURRENT))
    rows.push(
      `| ${CONCURRENT} concurrent requests (cached key) with the JWKS endpoint down | ${host.fetches - before} | ${down.ok} ok (${((down.ok / CONCURRENT) * 100).toFixed(0)}%), ${down.unavailable} × 503 |`,
    )
    log(rows.join('\n'))
  } finally {
    await host.close()
  }
  return [
    '## Key-set storms',
    '',
    `500 concurrent \`authenticate()\` calls each, against a real loopback JWKS endpoint; cooldownDuration ${cooldownDuration} ms (the default is 30 s; shorter here so one run shows several windows).`,
    '',
    '| storm | JWKS fetches | outcome |',
    '| --- | ---: | --- |',
    ...rows,
    '',
  ].join('\n')
}
