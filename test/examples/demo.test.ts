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
      // The policy file changes while the API runs: the refund decision flips, no restart.
      expect(stdout).toContain('policy updated: version 1 → 2 (no restart)')
      expect(stdout).toContain('policy refused, version 2 keeps serving')
      expect(stdout).toContain('4/4 policy checks answered as expected.')
      expect(stdout).toContain('[policy v1, no rule] — no rule allows orders.refund')
      expect(stdout).toContain('[policy v2, rule refunds] — rule refunds allows orders.refund')
      expect(stdout).toContain('1× deny → allow  orders.refund: no rule → rule refunds')
      expect(stdout).not.toContain('✗')
    },
    60_000,
  )
})
