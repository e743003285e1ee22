import { parseDocument } from 'yaml'
import { z } from 'zod'
import { formatIssues } from '../config/options.js'
import type { CompiledPolicy, PolicyDecision } from '../policy/compile.js'
import type { Trace } from '../policy/node.js'
import { PolicyError } from '../policy/policy-error.js'
import { replayDecision, type RecordedDecision } from '../policy/replay.js'
import { authFromClaims, readClaims, requestFrom, type RequestSpec } from './auth.js'
import { EXIT, loadPolicyFile, readText, UsageError, type Io } from './io.js'

/** `policy check <file>`: validate and summarize. Exit 0 valid, 1 invalid. */
export async function checkCommand(file: string, io: Io): Promise<number> {
  try {
    const policy = await loadPolicyFile(file, io)
    const doc = policy.document
    io.out(
      `${file}: valid, version ${policy.version} — ${policy.actions.size} actions, ` +
        `${doc.rules.length} rules, ${policy.router.size} route bindings, ` +
        `${Object.keys(doc.roles ?? {}).length} roles`,
    )
    return EXIT.ok
  } catch (error) {
    if (error instanceof PolicyError) {
      io.err(error.message)
      return EXIT.failed
    }
    throw error
  }
}

const requestSpec = z.union([
  z.string().regex(/^[A-Z]+ \//, 'Expected "METHOD /path"'),
  z.strictObject({
    method: z.string().optional(),
    path: z.string().optional(),
    ip: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    query: z.record(z.string(), z.string()).optional(),
  }),
])
const casesSchema = z.strictObject({
  cases: z
    .array(
      z
        .strictObject({
          name: z.string().min(1),
          claims: z.record(z.string(), z.unknown()).default({}),
          claimsPreset: z.string().optional(),
          action: z.string().optional(),
          request: requestSpec.optional(),
          resource: z.unknown().optional(),
          at: z.string().optional(),
          expect: z.enum(['allow', 'deny']),
          rule: z.string().nullable().optional(),
        })
        .refine((value) => value.action !== undefined || value.request !== undefined, {
          message: 'Expected action or request',
        }),
    )
    .min(1),
})

interface Asked {
  policy: CompiledPolicy
  claims: Record<string, unknown>
  preset?: string
  action?: string
  request?: string | RequestSpec
  resource?: unknown
  at?: string
}

function decide(asked: Asked, explain: boolean) {
  const auth = authFromClaims(asked.claims, asked.preset)
  const request = requestFrom(asked.request)
  const now = asked.at === undefined ? undefined : Date.parse(asked.at)
  if (now !== undefined && Number.isNaN(now)) throw new UsageError(`bad time ${asked.at}`)
  const match =
    request && !asked.action ? asked.policy.route(request.method, request.path ?? '/') : undefined
  const action = asked.action ?? match?.binding.action
  if (action === undefined) {
    return {
      decision: asked.policy.unbound,
      rules: [] as { id: string; effect: string; trace: Trace }[],
    }
  }
  const input = { request, resource: asked.resource, now }
  if (explain) return asked.policy.explain(action, auth, input, match)
  return { decision: asked.policy.explain(action, auth, input, match).decision, rules: [] }
}

const ruleOf = (decision: PolicyDecision) => decision.rule ?? 'no rule'

/** `policy test <policy> <cases>`: run policy unit tests. Exit 0 all pass, 1 a failure. */
export async function testCommand(policyFile: string, casesFile: string, io: Io): Promise<number> {
  let policy: CompiledPolicy
  try {
    policy = await loadPolicyFile(policyFile, io)
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error
    io.err(error.message)
    return EXIT.failed
  }
  const doc = parseDocument(await readText(casesFile), { uniqueKeys: true })
  if (doc.errors.length > 0) throw new UsageError(`${casesFile}: ${doc.errors[0]?.message}`)
  const parsed = casesSchema.safeParse(doc.toJS({ maxAliasCount: 50 }))
  if (!parsed.success) throw new UsageError(formatIssues(`${casesFile}:`, parsed.error.issues))
  let failures = 0
  for (const test of parsed.data.cases) {
    const { decision } = decide({ policy, ...test, preset: test.claimsPreset }, false)
    const verdict = decision.allowed ? 'allow' : 'deny'
    const ruleOk = test.rule === undefined || (test.rule ?? undefined) === decision.rule
    const ok = verdict === test.expect && ruleOk
    if (!ok) failures++
    const wanted = `${test.expect}${test.rule !== undefined ? ` by ${test.rule ?? 'no rule'}` : ''}`
    io.out(
      `${ok ? 'PASS' : 'FAIL'} ${test.name}${ok ? '' : ` — expected ${wanted}, got ${verdict} by ${ruleOf(decision)} (${decision.reason})`}`,
    )
  }
  const total = parsed.data.cases.length
  io.out(`${total - failures}/${total} cases passed under version ${policy.version}`)
  return failures === 0 ? EXIT.ok : EXIT.failed
}

function printTrace(trace: Trace, depth: number, io: Io): void {
  const read = trace.read
    ? `   (${Object.entries(trace.read)
        .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
        .join(', ')})`
    : ''
  io.out(`${'   '.repeat(depth)}${trace.pass ? '✓' : '✗'} ${trace.label}${read}`)
  for (const child of trace.children ?? []) printTrace(child, depth + 1, io)
}

/** `explain`: the decision tree for one request. Exit 0 allowed, 1 denied. */
export async function explainCommand(
  options: {
    policy: string
    token: string
    request?: string
    action?: string
    resource?: string
    ip?: string
    at?: string
    claims?: string
  },
  io: Io,
): Promise<number> {
  const policy = await loadPolicyFile(options.policy, io)
  const claims = await readClaims(options.token)
  let request: RequestSpec | undefined
  if (options.request) {
    const [method, ...path] = options.request.split(' ')
    request = { method, path: path.join(' '), ip: options.ip }
  }
  let resource: unknown
  if (options.resource !== undefined) {
    try {
      resource = JSON.parse(options.resource)
    } catch {
      throw new UsageError('--resource must be JSON')
    }
  }
  const { decision, rules } = decide(
    {
      policy,
      claims,
      preset: options.claims,
      action: options.action,
      request,
      resource,
      at: options.at,
    },
    true,
  )
  const via = decision.route ? ` (route ${decision.route})` : ''
  io.out(
    `policy version ${policy.version} · ${options.request ?? ''} → ${decision.action ?? 'no binding'}${via}`,
  )
  io.out(`decision: ${decision.allowed ? 'allow' : 'deny'} — ${decision.reason}`)
  for (const rule of rules) {
    const applies = rule.trace.pass
    io.out(
      `${applies ? '✓' : '✗'} ${rule.effect} rule ${rule.id}: ${applies ? 'applies' : 'does not apply'}`,
    )
    printTrace(rule.trace, 1, io)
  }
  return decision.allowed ? EXIT.ok : EXIT.failed
}

/** `replay`: re-decide recorded decisions under a new version. Exit 1 on change with `failOnChange`. */
export async function replayCommand(
  options: { policy: string; decisions: string; failOnChange: boolean },
  io: Io,
): Promise<number> {
  const policy = await loadPolicyFile(options.policy, io)
  const lines = (await readText(options.decisions)).split('\n').filter((line) => line.trim())
  const counts = { same: 0, skipped: 0, changed: 0, undetermined: 0 }
  const changes = new Map<string, number>()
  const undetermined = new Map<string, number>()
  const versions = new Set<string>()
  lines.forEach((line, index) => {
    let record: RecordedDecision
    try {
      record = JSON.parse(line)
    } catch {
      throw new UsageError(`${options.decisions}:${index + 1}: not JSON`)
    }
    const result = replayDecision(policy, record)
    counts[result.status]++
    if (result.status === 'skipped') return
    versions.add(String(record.policyVersion))
    if (result.status === 'undetermined') {
      const key = `${result.action ?? 'no binding'}: input ${result.missing} was not recorded`
      undetermined.set(key, (undetermined.get(key) ?? 0) + 1)
    } else if (result.status === 'changed') {
      const from = record.allowed ? 'allow' : 'deny'
      const to = result.after.allowed ? 'allow' : 'deny'
      const key = `${from} → ${to}  ${result.action ?? 'no binding'}: ${record.rule ? `rule ${record.rule}` : 'no rule'} → ${result.after.rule ? `rule ${result.after.rule}` : 'no rule'}`
      changes.set(key, (changes.get(key) ?? 0) + 1)
    }
  })
  const decided = lines.length - counts.skipped
  io.out(
    `replay: ${decided} policy decisions recorded under version ${[...versions].join(', ') || '-'}, re-decided under version ${policy.version}`,
  )
  io.out(`  unchanged:    ${counts.same}`)
  io.out(`  changed:      ${counts.changed}`)
  for (const [key, count] of [...changes].sort()) io.out(`    ${count}× ${key}`)
  io.out(`  undetermined: ${counts.undetermined}`)
  for (const [key, count] of [...undetermined].sort()) io.out(`    ${count}× ${key}`)
  if (counts.skipped > 0) io.out(`  skipped (not policy decisions): ${counts.skipped}`)
  return options.failOnChange && counts.changed + counts.undetermined > 0 ? EXIT.failed : EXIT.ok
}
