import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8')

// Code only: no comments, no layout, no trailing commas (Prettier adds them when it wraps).
const normalize = (code: string) =>
  code
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\s+/g, '')
    .replace(/,(?=[)}\]])/g, '')

function bodyOf(code: string, title: string): string {
  const start = code.indexOf(`test('${title}', async () => {`)
  expect(start, title).toBeGreaterThanOrEqual(0)
  const from = code.indexOf('{', code.indexOf('=>', start)) + 1
  return code.slice(from, code.indexOf('\n})', from))
}

const README_TESTS = read('README.md')
  .split('```ts')
  .slice(1)
  .map((block) => block.slice(0, block.indexOf('```')))
  .filter((block) => block.includes("from 'oidc-guard/testing'"))

// The README's three-line tests are the ones this suite runs, line for line.
describe('README "Testing your app"', () => {
  it.each([
    ['Express', 'test/examples/express.user.test.ts'],
    ['Koa', 'test/examples/koa.user.node-test.ts'],
    ['Fastify', 'test/examples/fastify.user.test.ts'],
  ])('the %s test is the one in %s', (_framework, file) => {
    const block = README_TESTS.find((code) =>
      normalize(read(file)).includes(
        normalize(bodyOf(code, 'GET /orders answers 200 with orders:read')),
      ),
    )
    expect(block, `no README test matches ${file}`).toBeDefined()
    const statements = bodyOf(block as string, 'GET /orders answers 200 with orders:read')
      .split('\n')
      .filter((line) => normalize(line) !== '')
    expect(statements).toHaveLength(3)
  })

  it('shows one test per framework', () => {
    expect(README_TESTS).toHaveLength(3)
  })
})
