import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
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

beforeAll(async () => {
  if (!existsSync(`${root}dist/index.js`)) await run('npx', ['tsup'], { cwd: root })
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
    for (const name of ['authenticate', 'authorize', 'requireScope', 'requireAnyScope', 'requireRole', 'requireAnyRole', 'requireClaim', 'allOf', 'anyOf', 'not', 'guard']) {
      expect(express).toContain(name)
      expect(koa).toContain(name)
      expect(fastify).toContain(name)
    }
    expect(koa).toEqual(express)
  })

  it('loads oidc-guard/redis as ESM and CJS, and the main entry never loads redis', async () => {
    expect(await node(['--input-type=module', '-e', `const m = await import('oidc-guard/redis'); console.log(JSON.stringify(typeof m.createRedisDenylistStore))`])).toBe('function')
    const script = `
      const core = require('oidc-guard')
      const loaded = Object.keys(require.cache).some((file) => /node_modules[\\/](redis|@redis)[\\/]/.test(file))
      const redis = typeof require('oidc-guard/redis').createRedisDenylistStore
      console.log(JSON.stringify({ core: typeof core.createDenylist, loaded, redis }))`
    expect(await node(['--input-type=commonjs', '-e', script])).toEqual({ core: 'function', loaded: false, redis: 'function' })
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

  it('type-checks an application against the built declarations, CustomClaims included', async () => {
    await expect(run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/dist/consumer/tsconfig.json'], { cwd: root })).resolves.toBeDefined()
  }, 60_000)
})
