import { mkdtemp, rename, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompactSign } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  loadPolicy,
  PolicyError,
  type Policy,
  type PolicyRejection,
  type PolicyUpdate,
} from 'oidc-guard'
import { pinPolicy } from '../../src/policy/policy.js'
import { createTestKey, type TestKey } from '../helpers/keys.js'
import { authOf, doc } from './helpers.js'

const opened: Policy[] = []
const servers: Server[] = []
afterEach(async () => {
  for (const policy of opened.splice(0)) policy.close()
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  )
})

async function load(options: Parameters<typeof loadPolicy>[0]): Promise<Policy> {
  const policy = await loadPolicy(options)
  opened.push(policy)
  return policy
}

function nextEvent(
  policy: Policy,
): Promise<['update', PolicyUpdate] | ['rejected', PolicyRejection]> {
  return new Promise((resolve) => {
    const offs = [
      policy.on('update', (event) => {
        offs.forEach((off) => off())
        resolve(['update', event])
      }),
      policy.on('rejected', (event) => {
        offs.forEach((off) => off())
        resolve(['rejected', event])
      }),
    ]
  })
}

const allowAll = (version: number | string, extra: Record<string, unknown> = {}) =>
  doc({ version, rules: [{ id: `v${version}`, action: 'a', allow: true }], ...extra })

describe('loadPolicy({ document }) and policy.set()', () => {
  it('loads a document and carries its version into every decision', async () => {
    const policy = await load({ document: allowAll(1) })
    expect(policy.version).toBe(1)
    expect(policy.can(authOf(), 'a')).toMatchObject({ allowed: true, version: 1, rule: 'v1' })
  })

  it('rejects a bad document with a ConfigurationError (a PolicyError) naming the field', async () => {
    const error = await loadPolicy({
      document: { version: 1, actions: {}, rules: [{ action: 'x', allow: { role: 1 } }] },
    }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toBeInstanceOf(PolicyError)
    expect(error.message).toContain('rules[0].allow.role: expected string')
  })

  it('refuses bad options: no source, two sources, unknown option', async () => {
    await expect(loadPolicy({} as never)).rejects.toThrow(/exactly one of file, url, document/)
    await expect(loadPolicy({ document: allowAll(1), file: 'x' } as never)).rejects.toThrow(
      /exactly one/,
    )
    await expect(loadPolicy({ document: allowAll(1), bogus: 1 } as never)).rejects.toThrow(/bogus/)
  })

  it('set() swaps versions atomically; a request keeps the version it pinned', async () => {
    const policy = await load({ document: allowAll(1) })
    const updates: PolicyUpdate[] = []
    policy.on('update', (event) => updates.push(event))
    const inFlight = { method: 'GET', headers: {} }
    pinPolicy(inFlight, policy)
    policy.set(doc({ version: 2, rules: [] }))
    expect(updates).toEqual([{ version: 2, previous: 1, source: 'set()' }])
    expect(policy.can(authOf(), 'a')).toMatchObject({ allowed: false, version: 2 })
    // The request that started under version 1 finishes under it.
    expect(policy.can(authOf(), 'a', { request: inFlight })).toMatchObject({
      allowed: true,
      version: 1,
    })
  })

  it('set() refuses an invalid document, a changed document under the same version and a rollback', async () => {
    const policy = await load({ document: allowAll(5) })
    const rejected: PolicyRejection[] = []
    policy.on('rejected', (event) => rejected.push(event))
    expect(() => policy.set({ version: 6 })).toThrow(PolicyError)
    expect(() => policy.set(doc({ version: 5 }))).toThrow(/already running with other content/)
    expect(() => policy.set(allowAll(4))).toThrow(/older than the running 5 \(rollback refused\)/)
    expect(rejected.map((event) => event.source)).toEqual(['set()', 'set()', 'set()'])
    expect(policy.version).toBe(5)
    // The same document again is no change at all.
    policy.set(allowAll(5))
    expect(policy.version).toBe(5)
  })

  it('allowRollback: true accepts a lower version', async () => {
    const policy = await load({ document: allowAll(5), allowRollback: true })
    policy.set(allowAll(4))
    expect(policy.version).toBe(4)
  })

  it('actions used by code must stay declared: at load, and after requireAction used one', async () => {
    await expect(loadPolicy({ document: allowAll(1), actions: ['orders.refund'] })).rejects.toThrow(
      /action "orders.refund" is used by the application but not declared/,
    )
    const policy = await load({ document: allowAll(1) })
    policy.use('a')
    expect(() => policy.set(doc({ version: 2, actions: { b: null } }))).toThrow(
      /action "a" is used/,
    )
  })

  it('a listener that throws does not stop the swap', async () => {
    const policy = await load({ document: allowAll(1) })
    policy.on('update', () => {
      throw new Error('listener bug')
    })
    policy.set(allowAll(2))
    expect(policy.version).toBe(2)
  })
})

describe('loadPolicy({ file, watch })', () => {
  async function tempFile(text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'oidc-guard-policy-'))
    const file = join(dir, 'policy.yaml')
    await writeFile(file, text)
    return file
  }

  it('reloads when the file is replaced, refuses an invalid edit and keeps serving', async () => {
    const file = await tempFile(
      'version: 1\nactions: { a: null }\nrules: [{ id: one, action: a, allow: true }]\n',
    )
    const policy = await load({ file, watch: true })
    expect(policy.version).toBe(1)
    let event = nextEvent(policy)
    await writeFile(`${file}.tmp`, 'version: 2\nactions: { a: null }\nrules: []\n')
    await rename(`${file}.tmp`, file)
    expect(await event).toEqual(['update', { version: 2, previous: 1, source: file }])
    event = nextEvent(policy)
    await writeFile(file, 'version: 3\nactions: { a: null }\nrules: [{ action: b, allow: true }]\n')
    const [kind, rejection] = await event
    expect(kind).toBe('rejected')
    expect((rejection as PolicyRejection).reason).toContain(
      `${file}:3:19 rules[0].action: unknown action "b"`,
    )
    expect(policy.version).toBe(2)
  })

  it('a missing or oversized file fails the load with a PolicyError', async () => {
    await expect(loadPolicy({ file: '/nonexistent/policy.yaml' })).rejects.toThrow(
      /cannot read \/nonexistent\/policy.yaml: ENOENT/,
    )
    const file = await tempFile(`version: 1\nactions: {}\nrules: []\n# ${'x'.repeat(200)}\n`)
    await expect(loadPolicy({ file, maxDocumentSize: 100 })).rejects.toThrow(
      /larger than 100 bytes/,
    )
  })
})

interface Served {
  url: string
  requests: { ifNoneMatch?: string }[]
  set(body: string | undefined, status?: number): void
  hang(): void
  close(): Promise<void>
}

async function serve(initial: string): Promise<Served> {
  let body: string | undefined = initial
  let status = 200
  let hanging = false
  let counter = 0
  const requests: Served['requests'] = []
  const server = createServer((req, res) => {
    requests.push({ ifNoneMatch: req.headers['if-none-match'] })
    if (hanging) return
    if (status !== 200) return void res.writeHead(status, { location: '/elsewhere' }).end()
    const etag = `"${Buffer.from(body ?? '')
      .toString('base64url')
      .slice(-16)}-${counter}"`
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end()
    res.writeHead(200, { etag, 'content-type': 'application/jose' }).end(body)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy`,
    requests,
    set(next, nextStatus = 200) {
      body = next
      status = nextStatus
      counter++
    },
    hang() {
      hanging = true
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function bundle(
  key: TestKey,
  document: unknown,
  typ = 'oidc-guard-policy+jwt',
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(document)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .sign(key.privateKey)
}

describe('loadPolicy({ url, signature })', () => {
  it('polls with If-None-Match, takes a new signed version, refuses tampered and wrongly signed ones, survives an outage', async () => {
    const key = await createTestKey('ES256')
    const other = await createTestKey('ES256')
    const served = await serve(await bundle(key, allowAll(1)))
    const policy = await load({
      url: served.url,
      interval: 60_000,
      signature: { jwks: { keys: [key.publicJwk] } },
    })
    expect(policy.version).toBe(1)
    // Unchanged: a conditional request answered 304.
    expect(await policy.refresh()).toBe(true)
    expect(served.requests.at(-1)?.ifNoneMatch).toMatch(/^"/)

    served.set(await bundle(key, allowAll(2)))
    let event = nextEvent(policy)
    expect(await policy.refresh()).toBe(true)
    expect(await event).toEqual(['update', { version: 2, previous: 1, source: served.url }])

    // Tampered: the payload of a valid bundle replaced.
    const [header, , signature] = (await bundle(key, allowAll(3))).split('.')
    const forged = Buffer.from(JSON.stringify(allowAll(9))).toString('base64url')
    const refusals: string[] = []
    policy.on('rejected', (rejection) => refusals.push(rejection.reason))
    for (const body of [
      `${header}.${forged}.${signature}`,
      await bundle(other, allowAll(3)),
      JSON.stringify(allowAll(3)),
      await bundle(key, allowAll(3), 'JWT'),
      await bundle(key, allowAll(1)),
    ]) {
      served.set(body)
      expect(await policy.refresh()).toBe(false)
    }
    expect(refusals).toEqual([
      'the policy signature is invalid',
      'the policy signature is invalid',
      'the policy is not a compact JWS (a signature is required)',
      'the policy bundle typ must be oidc-guard-policy+jwt',
      expect.stringContaining('version 1 is older than the running 2 (rollback refused)'),
    ])
    expect(policy.version).toBe(2)

    // Down: the last good version keeps serving.
    await served.close()
    event = nextEvent(policy)
    expect(await policy.refresh()).toBe(false)
    expect(await event).toEqual([
      'rejected',
      expect.objectContaining({ reason: `cannot fetch ${served.url}` }),
    ])
    expect(policy.can(authOf(), 'a')).toMatchObject({ allowed: true, version: 2 })
  })

  it('a polled URL converges within one interval', async () => {
    const served = await serve(JSON.stringify(allowAll(1)))
    const policy = await load({ url: served.url, interval: 100 })
    const event = nextEvent(policy)
    served.set(JSON.stringify(allowAll(2)))
    expect(await event).toMatchObject(['update', { version: 2 }])
  })

  it('bounds the fetch: timeout, size cap, no redirects, and a publicKey instead of a JWKS', async () => {
    const key = await createTestKey('RS256')
    const served = await serve(await bundle(key, allowAll(1)))
    const policy = await load({
      url: served.url,
      interval: 60_000,
      timeoutDuration: 200,
      maxDocumentSize: 2000,
      signature: { publicKey: key.publicJwk },
    })
    expect(policy.version).toBe(1)
    const reasons: string[] = []
    policy.on('rejected', (event) => reasons.push(event.reason))
    served.set(await bundle(key, allowAll(2, { description: 'x'.repeat(3000) })))
    await policy.refresh()
    served.set('', 302)
    await policy.refresh()
    served.hang()
    await policy.refresh()
    expect(reasons).toEqual([
      `${served.url} sent more than 2000 bytes`,
      `${served.url} answered 302`,
      `no answer from ${served.url} within 200 ms`,
    ])
  })

  it('refuses a first document it cannot fetch or verify, and symmetric signature algorithms', async () => {
    await expect(
      loadPolicy({ url: 'http://127.0.0.1:9/policy', timeoutDuration: 500 }),
    ).rejects.toThrow(PolicyError)
    const served = await serve(JSON.stringify(allowAll(1)))
    const key = await createTestKey('ES256')
    await expect(
      loadPolicy({ url: served.url, signature: { jwks: { keys: [key.publicJwk] } } }),
    ).rejects.toThrow(/not a compact JWS/)
    await expect(
      loadPolicy({
        url: served.url,
        signature: { publicKey: key.publicJwk, algorithms: ['HS256'] },
      }),
    ).rejects.toThrow(/asymmetric algorithms only/)
    await expect(loadPolicy({ url: served.url, signature: {} })).rejects.toThrow(
      /publicKey or jwks/,
    )
  })
})
