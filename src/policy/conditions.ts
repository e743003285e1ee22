import { compileCidrs } from './client-ip.js'
import type { Env, Reader } from './env.js'
import { allNode, anyNode, leaf, notNode, type Node } from './node.js'
import type { Report } from './roles.js'
import { COMPARISONS, type Condition, type Operand } from './schema.js'
import { compileTimeWindow } from './time-window.js'

/** What compiling conditions needs from the policy. */
export interface ConditionContext {
  reader(key: string): Reader
  hasPredicate(name: string): boolean
  report: Report
}

type Scalar = string | number | boolean
const present = (value: unknown) => value !== undefined && value !== null

const NUMERIC = /^-?\d+(\.\d+)?$/
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value)
  return undefined
}

// JWT dates are seconds since the epoch (RFC 7519 §2 NumericDate); strings are ISO 8601.
function toInstant(value: unknown, isTime: boolean): number | undefined {
  if (typeof value === 'number' && isTime) return value
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000
  if (typeof value === 'string') {
    const parsed = Date.parse(value)
    return Number.isNaN(parsed) ? undefined : parsed
  }
  return undefined
}

const inList = (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value)

const TESTS: Record<
  Exclude<(typeof COMPARISONS)[number], 'exists'>,
  (actual: unknown, expected: unknown, expectedIsTime: number) => boolean
> = {
  equals: (a, b) => present(a) && a === b,
  notEquals: (a, b) => present(a) && present(b) && a !== b,
  in: (a, b) => (Array.isArray(a) ? a.some((item) => inList(b, item)) : present(a) && inList(b, a)),
  contains: (a, b) =>
    Array.isArray(a) && (Array.isArray(b) ? b.every((item) => a.includes(item)) : a.includes(b)),
  gt: (a, b) => compare(toNumber(a), toNumber(b), (x, y) => x > y),
  gte: (a, b) => compare(toNumber(a), toNumber(b), (x, y) => x >= y),
  lt: (a, b) => compare(toNumber(a), toNumber(b), (x, y) => x < y),
  lte: (a, b) => compare(toNumber(a), toNumber(b), (x, y) => x <= y),
  before: (a, b, isTime) =>
    compare(toInstant(a, false), toInstant(b, isTime === 1), (x, y) => x < y),
  after: (a, b, isTime) =>
    compare(toInstant(a, false), toInstant(b, isTime === 1), (x, y) => x > y),
}

function compare(
  a: number | undefined,
  b: number | undefined,
  test: (a: number, b: number) => boolean,
): boolean {
  return a !== undefined && b !== undefined && test(a, b)
}

function operandInput(operand: Operand): string | undefined {
  if (operand === null || typeof operand !== 'object' || Array.isArray(operand)) return undefined
  const [[kind, path]] = Object.entries(operand) as [[string, string]]
  return `${kind === 'claim' ? 'claims' : kind}.${path}`
}

function show(operand: Operand): string {
  const input = operandInput(operand)
  return input ?? JSON.stringify(operand)
}

/** Compiles one ABAC condition (or a list, all of which must hold) at document path `at`. */
export function compileCondition(
  condition: Condition | Condition[],
  ctx: ConditionContext,
  at: PropertyKey[],
): Node {
  if (Array.isArray(condition)) {
    return allNode(
      'when',
      condition.map((item, index) => compileCondition(item, ctx, [...at, index])),
    )
  }
  if ('allOf' in condition) {
    return allNode(
      'allOf',
      condition.allOf.map((item, index) => compileCondition(item, ctx, [...at, 'allOf', index])),
    )
  }
  if ('anyOf' in condition) {
    return anyNode(
      'anyOf',
      condition.anyOf.map((item, index) => compileCondition(item, ctx, [...at, 'anyOf', index])),
    )
  }
  if ('not' in condition) return notNode(compileCondition(condition.not, ctx, [...at, 'not']))
  if ('ip' in condition) {
    const cidrs = compileCidrs(condition.ip, (index) =>
      ctx.report([...at, 'ip', index], 'expected an IP address or CIDR range'),
    )
    const ip = ctx.reader('request.ip')
    return leaf(`request.ip in ${condition.ip.join(', ')}`, [['request.ip', ip]], (env) => {
      const address = ip(env)
      return typeof address === 'string' && cidrs.has(address)
    })
  }
  if ('time' in condition) {
    let inWindow: (now: number) => boolean = () => false
    try {
      inWindow = compileTimeWindow(condition.time)
    } catch {
      ctx.report([...at, 'time', 'zone'], `unknown IANA time zone "${condition.time.zone}"`)
    }
    const { zone, days, from = '00:00', to = '24:00' } = condition.time
    const time = ctx.reader('time')
    return leaf(
      `time ${days ? `${days.join(',')} ` : ''}${from}-${to} ${zone}`,
      [['time', time]],
      (env) => {
        const now = time(env)
        return typeof now === 'number' && inWindow(now)
      },
    )
  }
  if ('predicate' in condition) {
    if (!ctx.hasPredicate(condition.predicate)) {
      ctx.report(
        [...at, 'predicate'],
        `unknown predicate "${condition.predicate}" (register it with loadPolicy({ predicates }))`,
      )
    }
    const key = `predicate.${condition.predicate}`
    const result = ctx.reader(key)
    return leaf(`predicate ${condition.predicate}`, [[key, result]], (env) => result(env) === true)
  }
  return compileComparison(condition, ctx)
}

function compileComparison(
  condition: Exclude<Condition, { ip: unknown } | { time: unknown } | { predicate: unknown }>,
  ctx: ConditionContext,
): Node {
  const record = condition as Record<string, unknown>
  const source = (['claim', 'request', 'resource', 'auth'] as const).find((kind) => kind in record)!
  const key = `${source === 'claim' ? 'claims' : source}.${record[source] as string}`
  const actual = ctx.reader(key)
  const op = COMPARISONS.find((name) => record[name] !== undefined)!
  if (op === 'exists') {
    const expected = record.exists === true
    return leaf(`${key} ${expected ? 'exists' : 'is absent'}`, [[key, actual]], (env) => {
      return present(actual(env)) === expected
    })
  }
  const operand = record[op] as Operand
  const input = operandInput(operand)
  const test = TESTS[op]
  const label = `${key} ${op} ${show(operand)}`
  if (input === undefined) {
    const literal = operand as Scalar | Scalar[]
    if (literal === 'now' && (op === 'before' || op === 'after')) {
      // The decision's instant is an input too, so a replay compares with the recorded one.
      const time = ctx.reader('time')
      return leaf(
        label,
        [
          [key, actual],
          ['time', time],
        ],
        (env: Env) => test(actual(env), time(env), 1),
      )
    }
    return leaf(label, [[key, actual]], (env: Env) => test(actual(env), literal, 0))
  }
  const other = ctx.reader(input)
  return leaf(
    label,
    [
      [key, actual],
      [input, other],
    ],
    (env: Env) => {
      const expected = other(env)
      return present(expected) && test(actual(env), expected, 0)
    },
  )
}
