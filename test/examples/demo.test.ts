import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))

// `npm start` is the README's first command: it must keep working on every framework.
describe('npm start (scripts/demo.ts)', () => {
  it.each(['express', 'koa', 'fastify'])(
    'answers every demo request as announced on %s',
    async (framework) => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'scripts/demo.ts', '--framework', framework, '--port', '0', '--once'],
        { cwd: root, timeout: 60_000 },
      )
      expect(stdout).toContain(`oidc-guard demo — ${framework}`)
      expect(stdout).toContain('11/11 checks answered as expected.')
      expect(stdout).toContain(
        'decision: authorize requireScope(orders:write) deny 403 sub=reader — token lacks scope orders:write',
      )
      expect(stdout).not.toContain('✗')
    },
    60_000,
  )
})
