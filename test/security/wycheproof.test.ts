import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ASYMMETRIC_ALGORITHMS } from 'oidc-guard'
import { splitCompactJws } from '../../src/jose/compact-jws.js'
import { verifySignature } from '../../src/jose/signature.js'
import { RemoteKeySet } from '../../src/keys/remote-key-set.js'

interface Vector {
  tcId: number
  comment: string
  jws: string
  result: 'valid' | 'invalid'
  flags: string[]
}
interface Group {
  source: string
  comment: string
  publicKeys: Record<string, unknown>[]
  tests: Vector[]
}

// Project Wycheproof JWS/JWK vectors (test/fixtures/wycheproof), verified at the signature layer: the
// same structural checks, key selection and jose verification a request goes through.
const file = fileURLToPath(new URL('../fixtures/wycheproof/jws-jwks-subset.json', import.meta.url))
const data = JSON.parse(readFileSync(file, 'utf8')) as { numberOfTests: number; groups: Group[] }

function keySetServing(keys: unknown[]): RemoteKeySet {
  const body = JSON.stringify({ keys })
  return new RemoteKeySet({
    issuer: 'https://wycheproof.test',
    jwksUri: 'https://wycheproof.test/jwks',
    fetch: async () => new Response(body, { status: 200 }),
    timeoutDuration: 1000,
    maxResponseSize: 1 << 20,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    maxStaleAge: 600_000,
    maxKeys: 100,
    realm: 'api',
  })
}

// The signature layer of a request: canonical compact JWS, a JSON header with an allowed alg,
// key selection from the JWKS, and the node:crypto signature check. (Payloads here are not JWT
// claims sets, so the claims layer does not apply.)
async function verifySignatureLayer(keys: RemoteKeySet, jws: string): Promise<boolean> {
  const segments = splitCompactJws(jws)
  if (segments === undefined) return false
  const [header, , signature] = segments
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
      alg?: unknown
      kid?: string
    }
    if (
      typeof parsed.alg !== 'string' ||
      !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(parsed.alg)
    )
      return false
    const key = await keys.getKey(parsed as { alg: string })
    return await verifySignature(
      parsed.alg,
      key,
      jws.slice(0, jws.lastIndexOf('.')),
      Buffer.from(signature, 'base64url'),
    )
  } catch {
    return false
  }
}

describe('Wycheproof JWS/JWK vectors', () => {
  it('holds every vector of the subset', () => {
    expect(data.groups.reduce((sum, group) => sum + group.tests.length, 0)).toBe(data.numberOfTests)
  })

  describe.each(
    data.groups.map(
      (group) => [`${group.source.split('/').pop()} ${group.comment}`, group] as const,
    ),
  )('%s', (_name, group) => {
    const keys = keySetServing(group.publicKeys)
    it.each(
      group.tests.map((test) => [`#${test.tcId} ${test.comment} → ${test.result}`, test] as const),
    )('%s', async (_title, test) => {
      expect(await verifySignatureLayer(keys, test.jws)).toBe(test.result === 'valid')
    })
  })
})
