// The runnable examples of docs/providers/*.md compile against the package, as a user would
// paste them: each block under "## Runnable example" is type-checked on its own.
import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../', import.meta.url))
const out = join(root, 'test/.docs-snippets')

function runnableExamples(): Map<string, string> {
  const snippets = new Map<string, string>()
  for (const file of readdirSync(join(root, 'docs/providers'))) {
    const text = readFileSync(join(root, 'docs/providers', file), 'utf8')
    const section = text.split('## Runnable example')[1] ?? ''
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    if (code !== undefined) snippets.set(file.replace(/\.md$/, ''), code)
  }
  return snippets
}

describe('docs', () => {
  it('every provider page has a runnable example, and each compiles', async () => {
    const snippets = runnableExamples()
    expect([...snippets.keys()].sort()).toEqual(
      ['auth0', 'cognito', 'entra', 'google', 'keycloak', 'okta'].sort(),
    )
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    for (const [name, code] of snippets)
      writeFileSync(join(out, `${name}.ts`), `${code}export {}\n`)
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        include: ['*.ts'],
        compilerOptions: { rootDir: '../..' },
      }),
    )
    try {
      await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', out], { cwd: root })
    } catch (error) {
      expect.fail((error as { stdout: string }).stdout)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)
})
