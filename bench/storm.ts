/**
 * Key-set storms: key rotations at awkward moments, made-up-kid floods, both at once, and the
 * provider going down, each with 500 concurrent authentications against a real loopback JWKS
 * endpoint, with the default 30 s `cooldownDuration`.
 *
 * Standalone: `npx tsx bench/storm.ts` (prints the table); also part of `npm run bench`.
 */
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { createAuthenticator, isOidcGuardError } from 'oidc-guard'
import { AUDIENCE, claimsFor, signToken, startJwksHost, type JwksHost } from './fixtures.js'

const CONCURRENT = 500
/** The library's default: the storm shows what users get out of the box. */
const COOLDOWN = 30_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Auth = ReturnType<typeof createAuthenticator>
interface Outcome {
  ok: number
  unauthorized: number
  unavailable: number
  other: number
}

async function outcomes(auth: Auth, tokens: string[]): Promise<Outcome> {
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

const describe = (o: Outcome) =>
  `${o.ok} ok, ${o.unauthorized} × 401, ${o.unavailable} × 503${o.other ? `, ${o.other} other` : ''}`

let serial = 200_000
function newKey(kid: string): { privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'RS256' }
  return { privateKey, jwk: { ...jwk, use: 'sig' } }
}
let issuer = ''
const tokensFor = (privateKey: KeyObject, kid: string, count = CONCURRENT) =>
  Array.from({ length: count }, () =>
    signToken(privateKey, { ...claimsFor(serial++), iss: issuer }, kid),
  )

// Signed by a real key, under kids nobody published.
const attacker = newKey('attacker')
const madeUp = (round: number) =>
  Array.from({ length: CONCURRENT }, (_, i) =>
    signToken(
      attacker.privateKey,
      { ...claimsFor(serial++), iss: issuer },
      `made-up-${round}-${i}`,
    ),
  )

/** `_fixtures` and `sharedHost` are unused: the storm has its own keys and host on a free port. */
export async function runStormBench(
  _fixtures: unknown,
  sharedHost: JwksHost | undefined,
  { log }: { log: (line: string) => void },
): Promise<string> {
  await sharedHost?.close()
  const base = newKey('base')
  const host = await startJwksHost([base.jwk], 0)
  issuer = host.url
  const options = { issuer, audience: AUDIENCE, jwksUri: `${issuer}/jwks` }
  const auth = createAuthenticator(options)
  const rows: string[] = []
  const row = async (label: string, run: () => Promise<string>) => {
    const before = host.fetches
    const started = performance.now()
    const outcome = await run()
    const ms = (performance.now() - started).toFixed(0)
    rows.push(`| ${label} | ${host.fetches - before} | ${outcome} | ${ms} ms |`)
    log(rows.at(-1) as string)
  }
  try {
    // Signed beforehand, so the timings below are what they say.
    const [warm] = tokensFor(base.privateKey, 'base', 1)
    const k1 = newKey('rotated-1')
    const t1 = tokensFor(k1.privateKey, 'rotated-1')
    const flood1 = madeUp(1)
    await auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${warm}` } })

    // 1. The issue's case: an API instance fetched the JWKS, and the provider rotates 0.5 s later.
    await sleep(500)
    host.keys = [k1.jwk, base.jwk]
    await row('rotation 0.5 s after warm-up (inside the cooldown)', async () =>
      describe(await outcomes(auth, t1)),
    )

    // 2. Made-up kids right after that, and again once the cooldown has passed.
    await row('made-up kids right after a fetch', async () =>
      describe(await outcomes(auth, flood1)),
    )
    const flood2 = madeUp(2)
    await sleep(COOLDOWN + 200)
    await row('made-up kids after the cooldown', async () => describe(await outcomes(auth, flood2)))

    // 3. Both at once: the flood above just found nothing new (the cooldown runs); the provider
    // rotates and valid tokens arrive interleaved with more made-up kids.
    const k2 = newKey('rotated-2')
    host.keys = [k2.jwk, k1.jwk, base.jwk]
    const valid = tokensFor(k2.privateKey, 'rotated-2')
    const flood = madeUp(3)
    await row('rotation during a made-up-kid flood (500 valid + 500 made-up)', async () => {
      const [good, bad] = await Promise.all([outcomes(auth, valid), outcomes(auth, flood)])
      return `valid: ${describe(good)}; made-up: ${describe(bad)}`
    })

    // 4. A rotation once everything is quiet again.
    await sleep(COOLDOWN + 200)
    const k3 = newKey('rotated-3')
    host.keys = [k3.jwk, k2.jwk]
    const t3 = tokensFor(k3.privateKey, 'rotated-3')
    await row('rotation after the cooldown', async () => describe(await outcomes(auth, t3)))

    // 5. The provider goes down: cached keys keep serving.
    host.up = false
    const cached = tokensFor(k3.privateKey, 'rotated-3')
    await row('cached key, JWKS endpoint down', async () => describe(await outcomes(auth, cached)))

    // 6. A JWKS down at startup that comes back at once.
    const cold = createAuthenticator(options)
    await row('cold start, JWKS down', async () => describe(await outcomes(cold, t3)))
    host.up = true
    await sleep(1_100)
    const again = tokensFor(k3.privateKey, 'rotated-3')
    await row('same, JWKS back, 1.1 s later', async () => describe(await outcomes(cold, again)))
    cold.close()
  } finally {
    auth.close()
    await host.close()
  }
  return [
    '## Key-set storms',
    '',
    `500 concurrent \`authenticate()\` calls per row (the \`made-up\` flood of the "both at once" row adds 500 more), against a real loopback JWKS endpoint, default options (cooldownDuration ${COOLDOWN} ms). Rows run in order on one authenticator (the last two on a fresh one).`,
    '',
    '| storm | JWKS fetches | outcome | wall time |',
    '| --- | ---: | --- | ---: |',
    ...rows,
    '',
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (line: string) => process.stderr.write(`${line}\n`)
  process.stdout.write(`${await runStormBench(undefined, undefined, { log })}\n`)
}
