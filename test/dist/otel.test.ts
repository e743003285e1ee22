import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const dist = join(root, 'dist')

// Every file an entry loads: the entry and the chunks it imports or requires, transitively.
function loadedFiles(entry: string): string[] {
  const seen = new Set<string>()
  const pending = [join(dist, entry)]
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/(?:from\s*|import\s*\(|require\()\s*["'](\.[^"']+)["']/g))
      pending.push(join(dirname(file), match[1] as string))
  }
  return [...seen]
}

beforeAll(async () => {
  if (!existsSync(join(dist, 'otel/index.js'))) await run('npx', ['tsup'], { cwd: root })
}, 120_000)

describe('built package: @opentelemetry/api stays an optional peer', () => {
  it.each(['index.js', 'index.cjs', 'express/index.js', 'koa/index.cjs', 'fastify/index.js'])(
    '%s and every chunk it loads never reference @opentelemetry',
    (entry) => {
      const files = loadedFiles(entry)
      expect(files.length).toBeGreaterThan(1)
      for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toContain('@opentelemetry')
    },
  )

  it('only the otel subpath imports @opentelemetry/api, and it is not bundled', () => {
    const esm = readFileSync(join(dist, 'otel/index.js'), 'utf8')
    expect(esm).toMatch(/from\s*["']@opentelemetry\/api["']/)
    expect(readFileSync(join(dist, 'otel/index.cjs'), 'utf8')).toMatch(/require\(['"]@opentelemetry\/api['"]\)/)
    // The API's own code (its global registry) stays in the user's single copy.
    expect(esm).not.toContain('Symbol.for("opentelemetry.js.api')
  })

  it.each([
    ['ESM', ['--input-type=module', '-e', `const m = await import('oidc-guard/otel'); console.log(JSON.stringify([typeof m.createTelemetry, m.METRICS.decisions]))`]],
    ['CJS', ['--input-type=commonjs', '-e', `const m = require('oidc-guard/otel'); console.log(JSON.stringify([typeof m.createTelemetry, m.METRICS.decisions]))`]],
  ])('oidc-guard/otel loads as %s through the exports map', async (_format, args) => {
    const { stdout } = await run(process.execPath, args, { cwd: root })
    expect(JSON.parse(stdout)).toEqual(['function', 'oidc_guard.decisions'])
  })
})
