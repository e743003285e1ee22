import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const SUBPATHS = ['oidc-guard', 'oidc-guard/express', 'oidc-guard/koa', 'oidc-guard/fastify']

// Each check runs in a child Node process, so the package resolves through its own
// package.json "exports" to dist/, exactly as it does for an installed dependency.
async function node(args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, args, { cwd: root })
  return JSON.parse(stdout.trim().split('\n').pop() as string)
}

const PROBE = `
const [core, express, koa, fastify] = MODULES
const exportsOf = (mod) => Object.keys(mod).filter((key) => key !== 'default' && key !== 'module.exports').sort()
let sameCore = true
for (const adapter of [express, koa, fastify]) {
  try { adapter.guard({}) } catch (error) { sameCore &&= error instanceof core.ConfigurationError }
}
console.log(JSON.stringify({
  core: exportsOf(core).length,
  adapters: [express, koa, fastify].map(exportsOf),
  sameCore,
  fastifyPlugin: typeof fastify.authenticate,
}))`

const KIT_PROBE = `
const issuer = await createTestIssuer({ audience: 'orders-api' })
const auth = createAuthenticator(issuer.options)
const bearer = (token) => ({ method: 'GET', headers: { authorization: 'Bearer ' + token } })
const ok = await auth.authenticate(bearer(issuer.token({ scope: 'orders:read' })))
const expired = await auth.authenticate(bearer(issuer.token.expired())).catch((error) => error.status)
console.log(JSON.stringify({ subject: ok.subject, scopes: ok.scopes, expired }))`

beforeAll(async () => {
  if (!existsSync(`${root}dist/index.js`)) await run('npx', ['tsup'], { cwd: root })
  // node10 resolution has no package self-reference: install the package into the consumer as
  // npm would (a link to this checkout, in an ignored node_modules/).
  const link = `${root}test/dist/consumer/node_modules/oidc-guard`
  if (!existsSync(link)) {
    mkdirSync(`${root}test/dist/consumer/node_modules`, { recursive: true })
    symlinkSync('../../../..', link, 'dir')
  }
  if (!existsSync(`${root}dist/redis/index.js`)) await run('npx', ['tsup'], { cwd: root })
}, 120_000)

describe('built package', () => {
  it.each([
    ['ESM', ['--input-type=module', '-e', `const MODULES = await Promise.all(${JSON.stringify(SUBPATHS)}.map((path) => import(path)))\n${PROBE}`]],
    ['CJS', ['--input-type=commonjs', '-e', `const MODULES = ${JSON.stringify(SUBPATHS)}.map((path) => require(path))\n${PROBE}`]],
  ])('loads every subpath as %s with one shared core', async (_format, args) => {
    const result = (await node(args)) as { core: number; adapters: string[][]; sameCore: boolean; fastifyPlugin: string }
    expect(result.core).toBeGreaterThan(20)
    expect(result.sameCore).toBe(true)
    expect(result.fastifyPlugin).toBe('function')
    const [express, koa, fastify] = result.adapters
    for (const name of ['authenticate', 'authorize', 'requireScope', 'requireAnyScope', 'requireRole', 'requireAnyRole', 'requireClaim', 'allOf', 'anyOf', 'not', 'guard', 'enforcePolicy', 'requireAction']) {
      expect(express).toContain(name)
      expect(koa).toContain(name)
      expect(fastify).toContain(name)
    }
    expect(koa).toEqual(express)
  })

  it('an error from the ESM build is recognised by the CJS build (dual-package hazard)', async () => {
    const script = `
      import { createRequire } from 'node:module'
      const esm = await import('oidc-guard')
      const cjs = createRequire(process.cwd() + '/')('oidc-guard')
      const error = new esm.InvalidTokenError('x')
      console.log(JSON.stringify({ instance: error instanceof cjs.InvalidTokenError, recognised: cjs.isOidcGuardError(error) }))`
    expect(await node(['--input-type=module', '-e', script])).toEqual({ instance: false, recognised: true })
  })

  it('oidc-guard/redis loads as ESM and CJS; no built file imports the optional redis peer', async () => {
    const probe = (load: string) => `const mod = ${load}\nconsole.log(JSON.stringify(typeof mod.createRedisDpopReplayStore))`
    expect(await node(['--input-type=module', '-e', probe("await import('oidc-guard/redis')")])).toBe('function')
    expect(await node(['--input-type=commonjs', '-e', probe("require('oidc-guard/redis')")])).toBe('function')
    const { readdirSync, readFileSync } = await import('node:fs')
    const built = readdirSync(`${root}dist`, { recursive: true, encoding: 'utf8' }).filter((file) => /\.c?js$/.test(file))
    expect(built.some((file) => file.startsWith('redis'))).toBe(true)
    for (const file of built) {
      expect(readFileSync(`${root}dist/${file}`, 'utf8'), file).not.toMatch(/(from\s*|require\()["']redis["']/)
    }
  })

  it('the `oidc-guard` bin of package.json runs from dist, with exit codes', async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string>; files: string[] }
    const bin = pkg.bin['oidc-guard'] as string
    expect(readFileSync(join(root, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const policy = 'examples/policy/orders-policy.yaml'
    const { stdout } = await run(process.execPath, [bin, 'policy', 'check', policy], { cwd: root })
    expect(stdout.trim()).toBe(`${policy}: valid, version 1 — 5 actions, 5 rules, 5 route bindings, 3 roles`)
    const failed = await run(process.execPath, [bin, 'policy', 'check', 'test/fixtures/policy/invalid.yaml'], { cwd: root }).then(() => ({ code: 0 }), (error: { code: number }) => error)
    expect(failed.code).toBe(1)
    // The JSON Schema that editors validate policy YAML with ships in the package.
    expect(pkg.files).toContain('schema')
    expect(await node(['--input-type=module', '-e', "const mod = await import('oidc-guard/redis'); console.log(JSON.stringify([typeof mod.publishPolicyVersion, typeof mod.subscribePolicyUpdates]))"])).toEqual(['function', 'function'])
  }, 30_000)

  it('type-checks an application against the built declarations, CustomClaims included', async () => {
    await expect(run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/dist/consumer/tsconfig.json'], { cwd: root })).resolves.toBeDefined()
  }, 60_000)

  it('type-checks it under moduleResolution node10 (typesVersions) with exactOptionalPropertyTypes', async () => {
    await expect(run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/dist/consumer/tsconfig.node10.json'], { cwd: root })).resolves.toBeDefined()
  }, 60_000)
  // Every file a production entry loads, following its relative imports through the chunks.
  function reachableFrom(entries: string[]): Set<string> {
    const seen = new Set<string>()
    const queue = entries.map((entry) => join(root, 'dist', entry))
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue
      seen.add(file)
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/(?:from|import|require\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        queue.push(join(dirname(file), match[1] as string))
      }
    }
    return seen
  }

  it.each(['js', 'cjs'])('the production bundles (%s) contain nothing of oidc-guard/testing', (ext) => {
    const files = reachableFrom(['index', 'express/index', 'koa/index', 'fastify/index'].map((entry) => `${entry}.${ext}`))
    expect(files.size).toBeGreaterThan(4)
    for (const file of files) {
      expect(file).not.toContain(`${join('dist', 'testing')}`)
      const text = readFileSync(file, 'utf8')
      for (const marker of ['createTestIssuer', 'signSegments', 'startJwksServer', 'https://issuer.test']) {
        expect(text.includes(marker), `${file} contains ${marker}`).toBe(false)
      }
    }
    // The kit's own bundle does hold them, so the markers above are the right ones.
    expect(readFileSync(join(root, 'dist', 'testing', `index.${ext}`), 'utf8')).toContain('createTestIssuer')
  })

  it.each([
    ['ESM', ['--input-type=module', '-e', `const { createTestIssuer } = await import('oidc-guard/testing'); const { createAuthenticator } = await import('oidc-guard')\n${KIT_PROBE}`]],
    ['CJS', ['--input-type=commonjs', '-e', `const { createTestIssuer } = require('oidc-guard/testing'); const { createAuthenticator } = require('oidc-guard'); (async () => {\n${KIT_PROBE}\n})()`]],
  ])('oidc-guard/testing loads as %s and its tokens pass the built core', async (_format, args) => {
    expect(await node(args as string[])).toEqual({ subject: 'test-user', scopes: ['orders:read'], expired: 401 })
  })
})

