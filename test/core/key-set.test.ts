import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { InvalidTokenError, KeySetUnavailableError, type KeySetWarning } from 'oidc-guard'
import {
  MISSES_BEFORE_REMOVAL,
  RemoteKeySet,
  type KeySelector,
  type RemoteKeySetOptions,
} from '../../src/keys/remote-key-set.js'
import { fetchJson } from '../../src/keys/fetch-json.js'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { createTestKey, type TestKey } from '../helpers/keys.js'
import { rejection } from '../helpers/assertions.js'

let server: JwksServer
let rsa: TestKey
let clock: number

beforeAll(async () => {
  rsa = await createTestKey('RS256')
})
beforeEach(async () => {
  server = await startJwksServer()
  server.keys = [rsa.publicJwk]
  clock = 1_000_000
})
afterEach(() => server.close())

function keySet(overrides: Partial<RemoteKeySetOptions> = {}): RemoteKeySet {
  return new RemoteKeySet({
    issuer: server.issuer,
    jwksUri: server.jwksUri,
    fetch: globalThis.fetch,
    timeoutDuration: 1000,
    maxResponseSize: 65_536,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    maxStaleAge: 3_600_000,
    maxKeys: 20,
    realm: 'api',
    now: () => clock,
    onWarning: () => {},
    ...overrides,
  })
}

// getKey answers synchronously when it can; tests read every answer as a promise.
const lookup = async (set: RemoteKeySet, header: KeySelector) => set.getKey(header)

describe('RemoteKeySet', () => {
  it('fetches once and serves later lookups from memory', async () => {
    const keys = keySet()
    const first = await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    expect(await lookup(keys, { alg: 'RS256', kid: rsa.kid })).toBe(first)
    expect(server.jwksFetches()).toBe(1)
  })

  it('shares one fetch among concurrent lookups of an unknown kid', async () => {
    const keys = keySet()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const rotated = await createTestKey('RS256')
    server.keys = [rotated.publicJwk, rsa.publicJwk]
    clock += 30_000
    await Promise.all(
      Array.from({ length: 50 }, () => lookup(keys, { alg: 'RS256', kid: rotated.kid })),
    )
    expect(server.jwksFetches()).toBe(2)
  })

  it('refetches for an unknown kid at most once per cooldown window and answers 401 meanwhile', async () => {
    const keys = keySet({ minRefetchInterval: 0 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    clock += 30_000
    for (let i = 0; i < 100; i++) {
      const error = await rejection(lookup(keys, { alg: 'RS256', kid: `made-up-${i}` }))
      expect(error).toBeInstanceOf(InvalidTokenError)
    }
    expect(server.jwksFetches()).toBe(2)
    clock += 30_000
    await rejection(lookup(keys, { alg: 'RS256', kid: 'made-up-again' }))
    expect(server.jwksFetches()).toBe(3)
  })

  it('accepts a key published right after a fetch, waiting for the minimum interval', async () => {
    const keys = keySet({ minRefetchInterval: 100 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const rotated = await createTestKey('RS256')
    server.keys = [rotated.publicJwk]
    await expect(lookup(keys, { alg: 'RS256', kid: rotated.kid })).resolves.toBeDefined()
    expect(server.jwksFetches()).toBe(2)
  })

  it('keeps serving cached keys while the endpoint is down, and answers 503 for unknown kids then', async () => {
    const keys = keySet()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    server.behaviour = { kind: 'status', status: 500 }
    clock += 700_000 // past freshness: a background refresh starts, and fails
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    // An unknown kid meanwhile shares that refresh: 503, retry in 1 s.
    const during = await rejection(lookup(keys, { alg: 'RS256', kid: 'other' }))
    expect((during as KeySetUnavailableError).retryAfter).toBe(1)
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    clock += 30_000
    const error = await rejection(lookup(keys, { alg: 'RS256', kid: 'rotated' }))
    expect(error).toBeInstanceOf(KeySetUnavailableError)
    // Two failures so far: the retry backoff is at 2 s.
    expect((error as KeySetUnavailableError).retryAfter).toBe(2)
    expect((error as KeySetUnavailableError).failure).toMatchObject({ kind: 'status', status: 500 })
  })

  it('answers 503 once cached keys are stale past maxStaleAge and the endpoint still fails', async () => {
    const keys = keySet({ maxStaleAge: 60_000 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    server.behaviour = { kind: 'status', status: 503 }
    clock += 600_000 + 60_001
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    server.behaviour = { kind: 'ok' }
    clock += 30_000
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
  })

  it('answers 503 when the first fetch fails and retries only after the cooldown', async () => {
    server.behaviour = { kind: 'status', status: 404 }
    const keys = keySet()
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    expect(server.jwksFetches()).toBe(1)
  })

  it('honours Cache-Control max-age within [cooldownDuration, cacheMaxAge]', async () => {
    server.behaviour = { kind: 'ok', cacheControl: 'public, max-age=120' }
    const keys = keySet()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    clock += 119_000
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    expect(server.jwksFetches()).toBe(1)
    clock += 2_000
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(2))

    server.behaviour = { kind: 'ok', cacheControl: 'no-store' }
    clock += 600_000
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(3))
    clock += 29_000 // no-store is bounded below by the cooldown
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    expect(server.jwksFetches()).toBe(3)
  })

  it('bounds a hanging endpoint by the timeout', async () => {
    server.behaviour = { kind: 'hang' }
    const keys = keySet({ timeoutDuration: 200 })
    const started = performance.now()
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('bounds an injected fetch that ignores the abort signal', async () => {
    const keys = keySet({ timeoutDuration: 100, fetch: () => new Promise<Response>(() => {}) })
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
  })

  it.each([
    ['an oversized body', { kind: 'body', body: Buffer.alloc(70_000, 32) }],
    [
      'an oversized declared Content-Length',
      { kind: 'body', body: Buffer.alloc(70_000, 32), declareLength: true },
    ],
    ['an oversized streamed body', { kind: 'body', body: '{"keys":[' + ' '.repeat(70_000) + ']}' }],
    ['invalid JSON', { kind: 'body', body: '{"keys":' }],
    ['an HTML page', { kind: 'body', body: '<html>login</html>', contentType: 'text/html' }],
    ['JSON that is not a key set', { kind: 'body', body: '{"keys":"x"}' }],
    ['a redirect', { kind: 'redirect', location: 'http://127.0.0.1:1/elsewhere' }],
    ['a reset connection', { kind: 'reset' }],
  ] as const)('answers 503 for %s', async (_name, behaviour) => {
    server.behaviour = behaviour as never
    expect(await rejection(lookup(keySet(), { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
  })

  it('stops reading a response at maxResponseSize instead of buffering it', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    let pulled = 0
    // A 20 MB body produced only as fast as it is read, counting what was read.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 20 * 1024 * 1024) return controller.close()
        pulled += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const keys = keySet({ maxResponseSize: 256 * 1024, fetch: async () => new Response(body) })
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    // The cap plus the chunk that crossed it and one read ahead, never the whole body.
    expect(pulled).toBeLessThanOrEqual(256 * 1024 + 2 * chunk.byteLength)
  })

  it('refuses a key set with more than maxKeys keys', async () => {
    server.keys = Array.from({ length: 21 }, () => rsa.publicJwk)
    expect(await rejection(lookup(keySet(), { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
  })

  it('never lets a key verify an algorithm it is not for', async () => {
    const keys = keySet()
    // The JWK says RS256: a PS256 or ES256 token cannot select it.
    expect(await rejection(lookup(keys, { alg: 'PS256', kid: rsa.kid }))).toBeInstanceOf(
      InvalidTokenError,
    )
    expect(await rejection(lookup(keys, { alg: 'ES256', kid: rsa.kid }))).toBeInstanceOf(
      InvalidTokenError,
    )
    expect(await rejection(lookup(keys, { kid: rsa.kid }))).toBeInstanceOf(InvalidTokenError)
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: 42 as never }))).toBeInstanceOf(
      InvalidTokenError,
    )
  })

  it('ignores encryption keys, private keys, weak RSA keys and malformed entries', async () => {
    const { alg: _alg, ...unlabelled } = rsa.publicJwk
    const weak = { ...unlabelled, kid: 'weak', n: rsa.publicJwk.n!.slice(0, 170) }
    server.keys = [
      rsa.publicJwk,
      { ...unlabelled, kid: 'enc', use: 'enc' },
      { ...unlabelled, kid: 'ops', key_ops: ['encrypt'] },
      { ...unlabelled, kid: 'private', d: 'AAAA' },
      { kty: 'oct', kid: 'oct', k: 'c2VjcmV0' },
      { ...unlabelled, kid: 'tiny-e', e: 'Aw' },
      weak,
      { kid: 'no-kty' } as never,
      null as never,
      { ...unlabelled, kid: 'no-n', n: undefined },
      { kty: 'EC', kid: 'ec-no-y', crv: 'P-256', x: 'AA' },
      { kty: 'OKP', kid: 'okp-no-x', crv: 'Ed25519' },
      { kty: 'XYZ', kid: 'unknown-kty' },
      { ...unlabelled, kid: 7 as never },
    ]
    const keys = keySet()
    for (const kid of [
      'enc',
      'ops',
      'private',
      'oct',
      'tiny-e',
      'weak',
      'no-n',
      'ec-no-y',
      'okp-no-x',
      'unknown-kty',
    ]) {
      expect(await rejection(lookup(keys, { alg: 'RS256', kid }))).toBeInstanceOf(InvalidTokenError)
    }
  })

  it('matches the curve as well as the key type, and tolerates a huge exponent', async () => {
    const ec = await createTestKey('ES256')
    const { kid: _kid, ...anonymous } = rsa.publicJwk
    server.keys = [
      ec.publicJwk,
      { ...rsa.publicJwk, kid: 'big-e', e: 'AQAAAAAAAAE' },
      { ...rsa.publicJwk, kid: 'alg-7', alg: 7 as never },
      anonymous,
    ]
    const keys = keySet()
    expect(await rejection(lookup(keys, { alg: 'ES384', kid: ec.kid }))).toBeInstanceOf(
      InvalidTokenError,
    )
    await expect(lookup(keys, { alg: 'ES256', kid: ec.kid })).resolves.toBeDefined()
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: 'alg-7' }))).toBeInstanceOf(
      InvalidTokenError,
    )
    await expect(lookup(keys, { alg: 'RS256', kid: 'big-e' })).resolves.toBeDefined()
  })

  it('keeps several keys under one kid and picks the one that fits the algorithm', async () => {
    const ec = await createTestKey('ES256', rsa.kid)
    server.keys = [rsa.publicJwk, ec.publicJwk]
    const keys = keySet()
    const [a, b] = await Promise.all([
      lookup(keys, { alg: 'RS256', kid: rsa.kid }),
      lookup(keys, { alg: 'ES256', kid: rsa.kid }),
    ])
    expect(a).not.toBe(b)
  })

  it('selects a key without kid only when exactly one key fits', async () => {
    const other = await createTestKey('RS256')
    const ec = await createTestKey('ES256')
    server.keys = [rsa.publicJwk, ec.publicJwk]
    await expect(lookup(keySet(), { alg: 'RS256' })).resolves.toBeDefined()
    server.keys = [rsa.publicJwk, other.publicJwk]
    expect(await rejection(lookup(keySet(), { alg: 'RS256' }))).toBeInstanceOf(InvalidTokenError)
  })

  it('answers 401 for key material the runtime cannot import', async () => {
    const offCurve = Buffer.alloc(32, 1).toString('base64url')
    server.keys = [{ kty: 'EC', crv: 'P-256', kid: 'bad', x: offCurve, y: offCurve }]
    expect(await rejection(lookup(keySet(), { alg: 'ES256', kid: 'bad' }))).toBeInstanceOf(
      InvalidTokenError,
    )
  })

  it('discovers jwks_uri from the OpenID configuration when none is configured', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    await expect(
      lookup(keySet({ jwksUri: undefined }), { alg: 'RS256', kid: rsa.kid }),
    ).resolves.toBeDefined()
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(1)
  })

  it('falls back to RFC 8414 metadata only when the OpenID document is missing', async () => {
    const keys = keySet({ jwksUri: undefined, issuer: `${server.issuer}/tenant` })
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    expect(server.hits.get('/tenant/.well-known/openid-configuration')).toBe(1)
    expect(server.hits.get('/.well-known/oauth-authorization-server/tenant')).toBe(1)
  })

  it('does not fall back when the OpenID document is broken', async () => {
    server.discovery = { issuer: server.issuer }
    expect(
      await rejection(lookup(keySet({ jwksUri: undefined }), { alg: 'RS256', kid: rsa.kid })),
    ).toBeInstanceOf(KeySetUnavailableError)
    expect(server.hits.get('/.well-known/oauth-authorization-server')).toBeUndefined()
  })

  it('answers 503 when discovery names another issuer or no usable jwks_uri', async () => {
    server.discovery = { issuer: 'https://evil.example', jwks_uri: server.jwksUri }
    expect(
      await rejection(lookup(keySet({ jwksUri: undefined }), { alg: 'RS256', kid: rsa.kid })),
    ).toBeInstanceOf(KeySetUnavailableError)
    server.discovery = { issuer: server.issuer, jwks_uri: 'file:///etc/passwd' }
    expect(
      await rejection(lookup(keySet({ jwksUri: undefined }), { alg: 'RS256', kid: rsa.kid })),
    ).toBeInstanceOf(KeySetUnavailableError)
    expect(server.jwksFetches()).toBe(0)
  })

  it('notices the removal of a key published without kid', async () => {
    let removed = 0
    const { kid: _kid, ...anonymous } = rsa.publicJwk
    server.keys = [anonymous]
    const keys = keySet({ onKeysRemoved: () => removed++, minRefetchInterval: 10 })
    await lookup(keys, { alg: 'RS256' })
    const next = await createTestKey('RS256')
    server.keys = [next.publicJwk]
    await lookup(keys, { alg: 'RS256', kid: next.kid })
    await vi.waitFor(() => expect(removed).toBe(1))
  })

  it(`refuses a vanished key only after ${MISSES_BEFORE_REMOVAL} consecutive fetches missed it`, async () => {
    let removed = 0
    const keys = keySet({ onKeysRemoved: () => removed++, minRefetchInterval: 10 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const next = await createTestKey('RS256')
    // A node out of sync answers without the key, then the key is back: it was never refused.
    server.keys = [next.publicJwk]
    await lookup(keys, { alg: 'RS256', kid: next.kid })
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    server.keys = [rsa.publicJwk, next.publicJwk]
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(3))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(server.jwksFetches()).toBe(3) // nothing on probation: no more confirmation fetches
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    expect(removed).toBe(0)
    // Withdrawn for good: confirmed by scheduled fetches, then refused.
    server.keys = [next.publicJwk]
    clock += 700_000
    await lookup(keys, { alg: 'RS256', kid: next.kid })
    await vi.waitFor(() => expect(removed).toBe(1))
    expect(server.jwksFetches()).toBe(3 + MISSES_BEFORE_REMOVAL)
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      InvalidTokenError,
    )
  })

  it('treats new key material under a known kid as a removal at once', async () => {
    let removed = 0
    const keys = keySet({ onKeysRemoved: () => removed++, minRefetchInterval: 10 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const impostor = await createTestKey('RS256', rsa.kid)
    const other = await createTestKey('RS256')
    server.keys = [impostor.publicJwk, other.publicJwk]
    await lookup(keys, { alg: 'RS256', kid: other.kid })
    expect(removed).toBe(1)
    const key = await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    expect(key.export({ format: 'jwk' }).n).toBe(impostor.publicJwk.n)
  })

  it('clear() forgets keys so the next lookup fetches again', async () => {
    const keys = keySet()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    keys.clear()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    expect(server.jwksFetches()).toBe(2)
  })
})

describe('RemoteKeySet refetch policy (issue 16)', () => {
  const madeUp = (keys: RemoteKeySet, i: number | string) =>
    rejection(lookup(keys, { alg: 'RS256', kid: `made-up-${i}` }))

  it('a made-up-kid flood costs one fetch per cooldown', async () => {
    const keys = keySet({ minRefetchInterval: 0 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await Promise.all(Array.from({ length: 100 }, (_, i) => madeUp(keys, i)))
    expect(server.jwksFetches()).toBe(2)
    for (let i = 0; i < 100; i++) {
      clock += 100
      expect(await madeUp(keys, `later-${i}`)).toBeInstanceOf(InvalidTokenError)
    }
    expect(server.jwksFetches()).toBe(2)
    clock += 30_000
    await Promise.all(Array.from({ length: 100 }, (_, i) => madeUp(keys, `after-${i}`)))
    expect(server.jwksFetches()).toBe(3)
  })

  it('picks up a rotation during the cooldown once its kid is seen twice', async () => {
    const keys = keySet({ minRefetchInterval: 0 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await madeUp(keys, 'first') // found nothing new: the cooldown runs
    const rotated = await createTestKey('RS256')
    server.keys = [rotated.publicJwk, rsa.publicJwk]
    clock += 1_000
    // First sighting: refused without a fetch; the second corroborates it and fetches.
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rotated.kid }))).toBeInstanceOf(
      InvalidTokenError,
    )
    expect(server.jwksFetches()).toBe(2)
    await expect(lookup(keys, { alg: 'RS256', kid: rotated.kid })).resolves.toBeDefined()
    expect(server.jwksFetches()).toBe(3)
    // Finding a new key does not end the cooldown: the flood gets no extra fetch from it.
    clock += 1_000
    await madeUp(keys, 'second')
    expect(server.jwksFetches()).toBe(3)
  })

  it('a first sighting during the cooldown waits for the fetch a second sighting triggers', async () => {
    const keys = keySet({ minRefetchInterval: 300, now: Date.now })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await madeUp(keys, 'start') // the cooldown runs
    const rotated = await createTestKey('RS256')
    server.keys = [rotated.publicJwk, rsa.publicJwk]
    const first = lookup(keys, { alg: 'RS256', kid: rotated.kid })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = lookup(keys, { alg: 'RS256', kid: rotated.kid })
    await expect(first).resolves.toBeDefined()
    await expect(second).resolves.toBeDefined()
    expect(server.jwksFetches()).toBe(3)
    // A lone made-up kid waits out the window, at no fetch.
    const started = performance.now()
    expect(await madeUp(keys, 'lone')).toBeInstanceOf(InvalidTokenError)
    expect(performance.now() - started).toBeGreaterThanOrEqual(250)
    expect(server.jwksFetches()).toBe(3)
  })

  it('looks for a repeated made-up kid only once', async () => {
    const keys = keySet({ minRefetchInterval: 1_000 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    clock += 1_000
    await madeUp(keys, 'start')
    expect(server.jwksFetches()).toBe(2)
    clock += 1_000
    await madeUp(keys, 'twice')
    await madeUp(keys, 'twice') // corroborated: looked for
    expect(server.jwksFetches()).toBe(3)
    for (let i = 0; i < 5; i++) await madeUp(keys, 'twice')
    expect(server.jwksFetches()).toBe(3)
  })

  it('bounds made-up kids sent twice by one fetch per minimum interval (real time)', async () => {
    const keys = keySet({ minRefetchInterval: 200, now: Date.now })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await madeUp(keys, 'start') // the cooldown runs
    const before = server.jwksFetches()
    const started = performance.now()
    const pending: Promise<unknown>[] = []
    for (let i = 0; i < 20; i++) {
      pending.push(madeUp(keys, `pair-${i}`), madeUp(keys, `pair-${i}`))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await Promise.all(pending)
    const elapsed = performance.now() - started
    expect(server.jwksFetches() - before).toBeGreaterThan(0)
    expect(server.jwksFetches() - before).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1)
  })

  it('retries a failing endpoint after 1 s, doubling up to the cooldown', async () => {
    server.behaviour = { kind: 'status', status: 503 }
    const keys = keySet({ cooldownDuration: 8_000 })
    const retryAfters: number[] = []
    for (let i = 0; i < 6; i++) {
      const error = (await rejection(
        lookup(keys, { alg: 'RS256', kid: rsa.kid }),
      )) as KeySetUnavailableError
      retryAfters.push(error.retryAfter)
      clock += error.retryAfter * 1000
    }
    expect(retryAfters).toEqual([1, 2, 4, 8, 8, 8])
    expect(server.jwksFetches()).toBe(6)
    server.behaviour = { kind: 'ok' }
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
  })

  it('answers 503 without fetching while the backoff runs', async () => {
    server.behaviour = { kind: 'status', status: 404 }
    const keys = keySet()
    await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    clock += 500
    const error = await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    expect(error).toBeInstanceOf(KeySetUnavailableError)
    expect(server.jwksFetches()).toBe(1)
    server.behaviour = { kind: 'ok' }
    clock += 500
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
  })

  it('keeps serving cached keys when the endpoint answers an empty key set', async () => {
    const keys = keySet()
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    server.keys = []
    clock += 700_000
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(2))
    const error = (await rejection(
      keySet().getKey({ alg: 'RS256', kid: rsa.kid }) as never,
    )) as KeySetUnavailableError
    expect(error.failure).toMatchObject({ kind: 'invalid-document', resource: 'jwks' })
    expect(keys.size).toBe(1)
  })

  it('keeps the imported key of a republished key, so lookups stay synchronous', async () => {
    const keys = keySet()
    const first = await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    clock += 700_000
    keys.getKey({ alg: 'RS256', kid: rsa.kid })
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(2))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(keys.getKey({ alg: 'RS256', kid: rsa.kid })).toBe(first)
  })
})

describe('RemoteKeySet failure causes (issue 10 §3, issue 14 §2)', () => {
  const failureOf = async (keys: RemoteKeySet) => {
    const error = (await rejection(
      lookup(keys, { alg: 'RS256', kid: rsa.kid }),
    )) as KeySetUnavailableError
    expect(error).toBeInstanceOf(KeySetUnavailableError)
    expect(error.cause).toBeInstanceOf(Error)
    return error.failure
  }

  it.each([
    ['a 404', { kind: 'status', status: 404 }, { kind: 'status', status: 404 }],
    ['a redirect', { kind: 'redirect', location: 'http://127.0.0.1:1/x' }, { status: 302 }],
    ['a reset', { kind: 'reset' }, { kind: 'network' }],
    ['HTML', { kind: 'body', body: '<html>' }, { kind: 'invalid-json' }],
    ['JSON that is not a key set', { kind: 'body', body: '{"a":1}' }, { kind: 'invalid-document' }],
    ['an oversized body', { kind: 'body', body: Buffer.alloc(70_000, 32) }, { kind: 'too-large' }],
    ['a hang', { kind: 'hang' }, { kind: 'timeout' }],
  ] as const)('names %s', async (_name, behaviour, expected) => {
    server.behaviour = behaviour as never
    const failure = await failureOf(keySet({ timeoutDuration: 200 }))
    expect(failure).toMatchObject({ resource: 'jwks', url: server.jwksUri, ...expected })
  })

  it('names a refused connection with its system code', async () => {
    const closed = await startJwksServer()
    await closed.close()
    const failure = await failureOf(keySet({ jwksUri: closed.jwksUri }))
    expect(failure).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' })
  })

  it('names a missing discovery document, and never keeps credentials or the query of a URL', async () => {
    const failure = await failureOf(keySet({ jwksUri: undefined }))
    expect(failure).toEqual({
      kind: 'status',
      resource: 'discovery',
      url: `${server.url}/.well-known/oauth-authorization-server`,
      status: 404,
    })
    server.behaviour = { kind: 'status', status: 401 }
    const [, host] = server.jwksUri.split('//')
    const secretive = await failureOf(
      keySet({ jwksUri: `http://user:secret@${host}?api_key=secret` }),
    )
    expect(JSON.stringify(secretive)).not.toContain('secret')
  })

  it('warns once per kind of failure, through onWarning', async () => {
    const warnings: KeySetWarning[] = []
    server.behaviour = { kind: 'status', status: 404 }
    const keys = keySet({ onWarning: (warning) => warnings.push(warning), minRefetchInterval: 0 })
    for (let i = 0; i < 3; i++) await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    server.behaviour = { kind: 'reset' }
    for (let i = 0; i < 3; i++) await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    expect(server.jwksFetches()).toBe(6)
    expect(warnings.map((warning) => warning.failure.kind)).toEqual(['status', 'network'])
    expect(warnings[0]?.message).toContain(`${server.jwksUri}: HTTP 404`)
    expect(warnings[0]?.issuer).toBe(server.issuer)
  })

  it('warns through process.emitWarning by default, and survives a throwing onWarning', async () => {
    const seen: Error[] = []
    const listener = (warning: Error) => seen.push(warning)
    process.on('warning', listener)
    try {
      server.behaviour = { kind: 'status', status: 410 }
      await rejection(lookup(keySet({ onWarning: undefined }), { alg: 'RS256', kid: rsa.kid }))
      await vi.waitFor(() => expect(seen.some((w) => w.message.includes('HTTP 410'))).toBe(true))
      expect(seen.find((w) => w.message.includes('HTTP 410'))?.name).toBe('OidcGuardWarning')
    } finally {
      process.off('warning', listener)
    }
    const throwing = keySet({
      onWarning: () => {
        throw new Error('logger down')
      },
    })
    expect(await rejection(lookup(throwing, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
  })
})

describe('RemoteKeySet edge cases', () => {
  it('fetchJson() refuses at once with a signal already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const failure = await rejection(
      fetchJson(
        server.jwksUri,
        { fetch, timeoutDuration: 1000, maxResponseSize: 1000 },
        'jwks',
        controller.signal,
      ),
    )
    expect(failure).toMatchObject({ kind: 'aborted', resource: 'jwks' })
  })

  it('names an injected fetch that answers nonsense as a network failure', async () => {
    const keys = keySet({ fetch: async () => ({ status: 200 }) as Response })
    const error = (await rejection(
      lookup(keys, { alg: 'RS256', kid: rsa.kid }),
    )) as KeySetUnavailableError
    expect(error.failure).toMatchObject({ kind: 'network', resource: 'jwks' })
  })

  it('warns about at most 32 kinds of failure per key set', async () => {
    let warnings = 0
    const keys = keySet({ onWarning: () => warnings++, minRefetchInterval: 0, cooldownDuration: 0 })
    for (let status = 400; status < 440; status++) {
      server.behaviour = { kind: 'status', status }
      await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    }
    expect(server.jwksFetches()).toBeGreaterThanOrEqual(40)
    expect(warnings).toBe(32)
  })

  it('clear() during discovery: the discovered URL is not kept', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    // A fetch that ignores the abort signal and answers late.
    const slow: typeof fetch = async (url, init) => {
      await new Promise((resolve) => setTimeout(resolve, 150))
      return fetch(url, { ...init, signal: undefined })
    }
    const keys = keySet({ jwksUri: undefined, fetch: slow })
    const pending = rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    keys.clear()
    expect(await pending).toBeInstanceOf(KeySetUnavailableError)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(server.jwksFetches()).toBe(0)
    expect(keys.size).toBe(0)
  })

  it('a failing discovery read after a fruitless refetch changes nothing', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    const keys = keySet({ jwksUri: undefined, minRefetchInterval: 0 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    server.discovery = undefined
    clock += 30_000
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: 'made-up' }))).toBeInstanceOf(
      InvalidTokenError,
    )
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(2)
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
  })

  it('ready() joins a fetch in flight', async () => {
    const keys = keySet()
    const first = lookup(keys, { alg: 'RS256', kid: rsa.kid })
    await keys.ready()
    await first
    expect(server.jwksFetches()).toBe(1)
  })
})

describe('RemoteKeySet discovery, readiness and shutdown', () => {
  it('reads discovery again when the discovered jwks_uri fails, and follows a move', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: `${server.url}/old-jwks` }
    const keys = keySet({ jwksUri: undefined, minRefetchInterval: 0 })
    expect(await rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))).toBeInstanceOf(
      KeySetUnavailableError,
    )
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    clock += 1_000
    await expect(lookup(keys, { alg: 'RS256', kid: rsa.kid })).resolves.toBeDefined()
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(2)
  })

  it('reads discovery again, at most once per cooldown, when an unknown kid is not in the set', async () => {
    server.discovery = { issuer: server.issuer, jwks_uri: server.jwksUri }
    const keys = keySet({ jwksUri: undefined, minRefetchInterval: 0 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const moved = await createTestKey('RS256')
    // The old URL still answers with the old keys; the provider now publishes elsewhere.
    server.discovery = { issuer: server.issuer, jwks_uri: `${server.jwksUri}?v=2` }
    server.keys = [rsa.publicJwk]
    clock += 30_000
    const all = [moved.publicJwk, rsa.publicJwk]
    const original = server.keys
    Object.defineProperty(server, 'keys', {
      get: () => (discoveryHits() >= 2 ? all : original),
      set: () => {},
      configurable: true,
    })
    function discoveryHits() {
      return server.hits.get('/.well-known/openid-configuration') ?? 0
    }
    await expect(lookup(keys, { alg: 'RS256', kid: moved.kid })).resolves.toBeDefined()
    expect(discoveryHits()).toBe(2)
    await rejection(lookup(keys, { alg: 'RS256', kid: 'made-up' }))
    expect(discoveryHits()).toBe(2)
  })

  it('ready() fetches now, resolves when keys are held, and rejects with the cause', async () => {
    const keys = keySet()
    await keys.ready()
    await keys.ready()
    expect(server.jwksFetches()).toBe(1)
    server.behaviour = { kind: 'status', status: 404 }
    const failing = keySet()
    const error = (await rejection(failing.ready())) as KeySetUnavailableError
    expect(error.failure).toMatchObject({ kind: 'status', status: 404 })
  })

  it('clear() during a fetch cancels it: no keys are installed afterwards', async () => {
    server.behaviour = { kind: 'slow', delayMs: 300 }
    let removed = 0
    const keys = keySet({ onKeysRemoved: () => removed++ })
    const pending = rejection(lookup(keys, { alg: 'RS256', kid: rsa.kid }))
    await vi.waitFor(() => expect(server.jwksFetches()).toBe(1))
    keys.clear()
    await pending
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(keys.size).toBe(0)
    expect(removed).toBe(0)
  })

  it('clear() while a request waits for the next fetch slot ends the wait', async () => {
    const keys = keySet({ minRefetchInterval: 60_000, cooldownDuration: 60_000 })
    await lookup(keys, { alg: 'RS256', kid: rsa.kid })
    const pending = rejection(lookup(keys, { alg: 'RS256', kid: 'unknown' }))
    keys.clear()
    expect(await pending).toBeInstanceOf(InvalidTokenError)
    expect(server.jwksFetches()).toBe(1)
  })
})
