import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const fixture = (name: string) => `test/fixtures/policy/${name}`
const POLICY = 'examples/policy/orders-policy.yaml'

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const previous = process.cwd()
  process.chdir(root)
  try {
    const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    process.chdir(previous)
  }
}

describe('oidc-guard policy check', () => {
  it('prints the version and a summary of a valid document (exit 0)', async () => {
    const { code, out } = await cli('policy', 'check', POLICY)
    expect(code).toBe(0)
    expect(out).toBe(`${POLICY}: valid, version 1 — 5 actions, 5 rules, 5 route bindings, 3 roles`)
  })

  it('prints line-numbered errors and exits 1 for an invalid document', async () => {
    const { code, err } = await cli('policy', 'check', fixture('invalid.yaml'))
    expect(code).toBe(1)
    expect(err).toContain(
      `${fixture('invalid.yaml')}:10:18 rules[0].allow.anyOf[1].role[0]: expected string, received number`,
    )
  })

  it('exits 2 for a missing file', async () => {
    const { code, err } = await cli('policy', 'check', 'nope.yaml')
    expect(code).toBe(2)
    expect(err).toContain('cannot read nope.yaml: ENOENT')
  })
})

describe('oidc-guard policy test', () => {
  it('passes cases on claims, requests, actions and the deciding rule (exit 0)', async () => {
    const { code, out } = await cli('policy', 'test', POLICY, fixture('cases.yaml'))
    expect(code).toBe(0)
    expect(out.split('\n')).toEqual([
      'PASS an admin refunds from the office network',
      'PASS an admin refunds nothing from a café',
      'PASS an editor cannot refund',
      'PASS the orders:read scope reads orders',
      'PASS an admin reads the statistics',
      '5/5 cases passed under version 1',
    ])
  })

  it('reports each failing case with what was decided instead (exit 1)', async () => {
    const { code, out } = await cli('policy', 'test', POLICY, fixture('cases-failing.yaml'))
    expect(code).toBe(1)
    expect(out).toContain(
      'FAIL an editor refunds (wrong on purpose) — expected allow, got deny by refunds-from-the-office-network-only (rule refunds-from-the-office-network-only denies orders.refund)',
    )
    expect(out).toContain(
      'FAIL readers read — expected allow by something-else, got allow by read-orders',
    )
    expect(out).toContain('0/2 cases passed under version 1')
  })

  it('exits 1 on an invalid policy and 2 on invalid cases', async () => {
    expect((await cli('policy', 'test', fixture('invalid.yaml'), fixture('cases.yaml'))).code).toBe(
      1,
    )
    const bad = await cli('policy', 'test', POLICY, fixture('decisions.ndjson'))
    expect(bad.code).toBe(2)
  })
})

describe('oidc-guard explain', () => {
  it('prints the decision tree from a claims file: each condition, the value read, pass or fail', async () => {
    const { code, out } = await cli(
      'explain',
      '--policy',
      POLICY,
      '--token',
      fixture('editor.claims.json'),
      '--request',
      'POST /orders/7/refund',
      '--ip',
      '10.1.2.3',
    )
    expect(code).toBe(1)
    expect(out.split('\n')).toEqual([
      'policy version 1 · POST /orders/7/refund → orders.refund (route POST /orders/:id/refund)',
      'decision: deny — no rule allows orders.refund',
      '✗ deny rule refunds-from-the-office-network-only: does not apply',
      '   ✗ rule',
      '      ✓ any authenticated caller',
      '      ✗ not',
      '         ✓ request.ip in 127.0.0.0/8, ::1/128, 10.0.0.0/8   (request.ip = "10.1.2.3")',
      '✗ allow rule refunds: does not apply',
      '   ✗ permission orders.refund   (auth.roles = ["editor"], auth.scopes = ["orders:read","orders:write"], auth.groups = [], auth.permissions = [])',
    ])
  })

  it('reads a JWT (unverified) and exits 0 when allowed', async () => {
    const jwt = await new SignJWT({ sub: 'ada', roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32))
    const { code, out } = await cli(
      'explain',
      '--policy',
      POLICY,
      '--token',
      jwt,
      '--action',
      'admin.stats',
    )
    expect(code).toBe(0)
    expect(out).toContain('decision: allow — rule stats allows admin.stats')
  })

  it('exits 2 without --request or --action, with a bad token, or bad JSON', async () => {
    expect(
      (await cli('explain', '--policy', POLICY, '--token', fixture('editor.claims.json'))).code,
    ).toBe(2)
    expect(
      (
        await cli(
          'explain',
          '--policy',
          POLICY,
          '--token',
          'eyJhIn0.bm90IGpzb24.c',
          '--action',
          'x',
        )
      ).err,
    ).toContain('--token is not a JWT with a JSON payload')
    expect(
      (
        await cli(
          'explain',
          '--policy',
          POLICY,
          '--token',
          'eyJhIn0.e30.c',
          '--action',
          'x',
          '--resource',
          '{',
        )
      ).code,
    ).toBe(2)
    expect(
      (await cli('explain', '--policy', POLICY, '--token', POLICY, '--action', 'x')).code,
    ).toBe(2)
  })
})

describe('oidc-guard replay', () => {
  const expected = [
    'replay: 4 policy decisions recorded under version 1, re-decided under version 2',
    '  unchanged:    2',
    '  changed:      1',
    '    1× deny → allow  orders.refund: no rule → rule refunds',
    '  undetermined: 1',
    '    1× orders.refund: input request.ip was not recorded',
    '  skipped (not policy decisions): 1',
  ]

  it('prints what would change under the new version, and reports undetermined decisions', async () => {
    const { code, out } = await cli(
      'replay',
      '--policy',
      fixture('v2.yaml'),
      fixture('decisions.ndjson'),
    )
    expect(code).toBe(0)
    expect(out.split('\n')).toEqual(expected)
  })

  it('--fail-on-change exits 1 on a change, 0 when nothing changes', async () => {
    expect(
      (
        await cli(
          'replay',
          '--fail-on-change',
          '--policy',
          fixture('v2.yaml'),
          fixture('decisions.ndjson'),
        )
      ).code,
    ).toBe(1)
    const same = await cli(
      'replay',
      '--fail-on-change',
      '--policy',
      POLICY,
      fixture('decisions.ndjson'),
    )
    expect(same.out).toContain('changed:      0')
    expect(same.code).toBe(1) // the redacted IP leaves one decision undetermined
  })

  it('exits 2 on a line that is not JSON, an unknown command or option', async () => {
    expect((await cli('replay', '--policy', POLICY, fixture('cases.yaml'))).code).toBe(2)
    expect((await cli('frobnicate')).code).toBe(2)
    expect((await cli('policy', 'check', POLICY, '--bogus')).code).toBe(2)
    const help = await cli('--help')
    expect(help.code).toBe(0)
    expect(help.out).toContain('oidc-guard replay --policy')
  })

  it('the bin runs as a process with the same exit codes', async () => {
    const run = promisify(execFile)
    const result = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/bin.ts',
        'replay',
        '--policy',
        fixture('v2.yaml'),
        fixture('decisions.ndjson'),
      ],
      { cwd: root },
    )
    expect(result.stdout.trim().split('\n')).toEqual(expected)
    const failed = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/bin.ts', 'policy', 'check', fixture('invalid.yaml')],
      { cwd: root },
    ).catch((error) => error)
    expect(failed.code).toBe(1)
  }, 30_000)
})
