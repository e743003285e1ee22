import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadPolicy, PolicyError } from 'oidc-guard'
import { main } from '../../src/cli/main.js'
import { createActionGuard, createPolicyGuard } from '../../src/policy/policy-guard.js'
import { parsePolicyText } from '../../src/policy/parse.js'
import { authOf, compile, doc, requestOf } from './helpers.js'

afterEach(() => vi.restoreAllMocks())

describe('policy edge cases', () => {
  it('explain() traces anyOf and not inside requirements', () => {
    const policy = compile(
      doc({
        rules: [
          { id: 'r', action: 'a', allow: { anyOf: [{ role: 'x' }, { not: { role: 'y' } }] } },
        ],
      }),
    )
    const { rules } = policy.explain('a', authOf({ roles: ['y'] }))
    expect(rules[0]?.trace).toMatchObject({
      label: 'anyOf',
      pass: false,
      children: [
        { label: 'role x', pass: false },
        { label: 'not', pass: false },
      ],
    })
    expect(policy.explain('ghost', authOf())).toEqual({
      decision: expect.objectContaining({ allowed: false }),
      rules: [],
    })
  })

  it('route parameter names must be identifiers', () => {
    expect(() => compile(doc({ routes: { 'GET /a/:1x': 'a' } }))).toThrow(
      /bad parameter name ":1x"/,
    )
    expect(() => compile(doc({ routes: { 'GET /a/*': 'a', '* /a/*': 'a' } }))).not.toThrow()
  })

  it('positions point at the deepest existing node for unknown keys in sequences and maps', () => {
    expect(() =>
      parsePolicyText('version: 1\nactions: {}\nrules:\n  - { action: a, allow: true, nope: 1 }\n'),
    ).toThrow(/4:\d+ rules\[0\]\.nope: unknown field/)
    expect(() => parsePolicyText('- just\n- a list\n')).toThrow(/expected object/)
  })

  it('policy guards describe themselves as data', () => {
    expect(createActionGuard('orders.refund').descriptor).toEqual({
      name: 'requireAction',
      args: ['orders.refund'],
    })
    const guard = createPolicyGuard()
    expect(guard.descriptor).toEqual({ name: 'enforcePolicy', args: [] })
    // Without a pinned policy, evaluate() denies.
    expect(guard.evaluate(authOf(), requestOf()).allowed).toBe(false)
  })

  it('a URL whose fetch throws or declares too large a body is refused', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p`
    try {
      await expect(loadPolicy({ url, maxDocumentSize: 100 })).rejects.toThrow(
        /sent more than 100 bytes/,
      )
      const failing = (() => Promise.reject(new TypeError('boom'))) as typeof fetch
      await expect(loadPolicy({ url, fetch: failing })).rejects.toThrow(`cannot fetch ${url}`)
      const brokenBody = (async () => ({
        status: 200,
        headers: new Headers(),
        get body() {
          throw new Error('stream broke')
        },
      })) as unknown as typeof fetch
      await expect(loadPolicy({ url, fetch: brokenBody })).rejects.toThrow(PolicyError)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('CLI edge cases', () => {
  const io = () => {
    const out: string[] = []
    const err: string[] = []
    return {
      out,
      err,
      io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) },
    }
  }

  it('policies naming predicates load with the predicates denying, and say so', async () => {
    const { err, out, io: sink } = io()
    const code = await main(
      [
        'policy',
        'test',
        'test/fixtures/policy/predicates.yaml',
        'test/fixtures/policy/predicate-cases.yaml',
      ],
      sink,
    )
    expect(err).toEqual(['note: predicates are code; isVip deny here'])
    expect(out.at(-1)).toBe('1/1 cases passed under version 1')
    expect(code).toBe(0)
  })

  it('an invalid policy passed to explain exits 1 with the errors; an unknown claims preset exits 2', async () => {
    const first = io()
    expect(
      await main(
        [
          'explain',
          '--policy',
          'test/fixtures/policy/invalid.yaml',
          '--token',
          'test/fixtures/policy/editor.claims.json',
          '--action',
          'x',
        ],
        first.io,
      ),
    ).toBe(1)
    expect(first.err.join('\n')).toContain('rules[0].allow.anyOf[1].role[0]')
    const second = io()
    expect(
      await main(
        [
          'explain',
          '--policy',
          'examples/policy/orders-policy.yaml',
          '--token',
          'test/fixtures/policy/editor.claims.json',
          '--action',
          'x',
          '--claims',
          'nope',
        ],
        second.io,
      ),
    ).toBe(2)
    const third = io()
    expect(
      await main(
        [
          'explain',
          '--policy',
          'examples/policy/orders-policy.yaml',
          '--token',
          'test/fixtures/policy/editor.claims.json',
          '--request',
          'GET /orders/1',
          '--at',
          'yesterday',
        ],
        third.io,
      ),
    ).toBe(2)
  })

  it('the bin entry runs main() with process arguments and sets the exit code', async () => {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
    const argv = process.argv
    process.argv = [argv[0] as string, 'oidc-guard', '--help']
    try {
      await import('../../src/cli/bin.js')
      await vi.waitFor(() => expect(written.join('')).toContain('Usage:'))
      expect(process.exitCode).toBe(0)
    } finally {
      process.argv = argv
      process.exitCode = undefined
    }
  })
})

describe('more policy edges', () => {
  it('signature keys: a JWKS URL, a KeyObject, and typ with the application/ prefix', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const { CompactSign, exportJWK } = await import('jose')
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    const document = doc({ version: 1 })
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(document)))
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'application/oidc-guard-policy+jwt' })
      .sign(privateKey)
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(req.url === '/jwks' ? JSON.stringify({ keys: [jwk] }) : jws)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const viaUrl = await loadPolicy({
        url: `${base}/policy`,
        signature: { jwks: `${base}/jwks` },
      })
      expect(viaUrl.version).toBe(1)
      viaUrl.close()
      const viaKeyObject = await loadPolicy({ url: `${base}/policy`, signature: { publicKey } })
      expect(viaKeyObject.version).toBe(1)
      viaKeyObject.close()
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('an empty 200 answer is an invalid document', async () => {
    const empty = (async () => new Response(null, { status: 200 })) as typeof fetch
    await expect(loadPolicy({ url: 'http://127.0.0.1:9/p', fetch: empty })).rejects.toThrow(
      PolicyError,
    )
  })

  it('enforcePolicy() reads the path from originalUrl, path or url, and denies when none is there', async () => {
    const policy = await loadPolicy({
      document: doc({ rules: [{ action: 'a', allow: true }], routes: { 'GET /x': 'a' } }),
    })
    const { pinPolicy } = await import('../../src/policy/policy.js')
    const guard = createPolicyGuard()
    const pinned = (fields: object) => {
      const request = { method: 'GET', headers: {}, ...fields }
      pinPolicy(request, policy)
      return guard.evaluate(authOf(), request).allowed
    }
    expect(pinned({ originalUrl: '/x?y=1' })).toBe(true)
    expect(pinned({ path: '/x' })).toBe(true)
    expect(pinned({})).toBe(false)
    expect(pinned({ originalUrl: 42 })).toBe(false)
    // A condition on request.path reads url when nothing else is there.
    const byPath = compile(
      doc({ rules: [{ action: 'a', allow: true, when: { request: 'path', equals: '/p' } }] }),
    )
    expect(
      byPath.decide('a', authOf(), {
        request: { method: 'GET', headers: {}, url: '/p?q' } as never,
      }).allowed,
    ).toBe(true)
    expect(byPath.decide('a', authOf(), { request: { method: 'GET', headers: {} } }).allowed).toBe(
      false,
    )
    policy.close()
  })

  it('a comparison without an operator, and a null-valued key, are located', () => {
    expect(() =>
      compile(doc({ rules: [{ action: 'a', allow: true, when: { claim: 'x' } }] })),
    ).toThrow(/rules\[0\]\.when: expected exactly one of equals/)
    expect(() =>
      parsePolicyText('version: 1\nactions: { a: }\nrules: []\nroutes: { "GET /x": }\n'),
    ).toThrow(/4:\d+ routes\.GET \/x: expected string/)
  })

  it('explain on a request no binding matches says so', async () => {
    const out: string[] = []
    const code = await main(
      [
        'explain',
        '--policy',
        'examples/policy/orders-policy.yaml',
        '--token',
        'test/fixtures/policy/editor.claims.json',
        '--request',
        'GET /nowhere',
      ],
      { out: (line) => out.push(line), err: () => {} },
    )
    expect(code).toBe(1)
    expect(out).toEqual([
      'policy version 1 · GET /nowhere → no binding',
      'decision: deny — no rule: no route binding matches this request',
    ])
  })
})
