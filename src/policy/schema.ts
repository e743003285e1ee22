import { z } from 'zod'
import { requirementSchema, type Requirement } from '../guards/requirements.js'

/** A value a condition compares with: a literal, a list of literals, or another input. */
export type Operand = string | number | boolean | readonly (string | number | boolean)[] | InputRef

/** Another input as the right-hand side, e.g. `{ auth: 'subject' }` or `{ claim: 'org' }`. */
export type InputRef =
  { auth: AuthField } | { claim: string } | { request: string } | { resource: string }

/** Fields of the verified request context a condition can read. */
export type AuthField =
  | 'subject'
  | 'issuer'
  | 'clientId'
  | 'tenant'
  | 'email'
  | 'scopes'
  | 'roles'
  | 'groups'
  | 'permissions'

/** How a comparison tests the value it read; exactly one per condition. */
export interface Comparison {
  equals?: Operand
  notEquals?: Operand
  /** The value is one of the list. */
  in?: Operand
  /** A list-valued input holds the value. */
  contains?: Operand
  /** Numeric comparisons (numeric strings from the request count as numbers). */
  gt?: Operand
  gte?: Operand
  lt?: Operand
  lte?: Operand
  /** Date comparisons: numbers are seconds since the epoch (JWT NumericDate), strings ISO 8601. */
  before?: Operand
  after?: Operand
  /** The input is present (true) or absent (false). */
  exists?: boolean
}

/**
 * An ABAC condition: a comparison of one input (claim, request attribute, resource attribute or
 * auth field), the client IP in CIDR ranges, a time window, a predicate registered in code, or
 * a combination of conditions.
 */
export type Condition =
  | (Comparison & { claim: string })
  | (Comparison & { request: string })
  | (Comparison & { resource: string })
  | (Comparison & { auth: AuthField })
  | { ip: string[] }
  | { time: TimeWindow }
  | { predicate: string }
  | { allOf: Condition[] }
  | { anyOf: Condition[] }
  | { not: Condition }

/** Days and hours in an IANA time zone, e.g. weekdays 09:00–17:00 in Europe/Paris. */
export interface TimeWindow {
  /** IANA zone, e.g. `Europe/Paris`. Required: a server's local zone is never implied. */
  zone: string
  /** Three-letter days, e.g. `[mon, tue, wed, thu, fri]`. Default: every day. */
  days?: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[]
  /** `HH:MM`, inclusive. Default `00:00`. */
  from?: string
  /** `HH:MM`, exclusive; earlier than `from` wraps past midnight. Default `24:00`. */
  to?: string
}

/** One rule: it allows (or, with `deny`, forbids) its actions when its requirement and conditions hold. */
export interface PolicyRule {
  /** Names the rule in decisions. Default `rules[<index>]`. */
  id?: string
  description?: string
  /** The action or actions the rule is about. */
  action: string | string[]
  /** A requirement in the guard shape (`{ role: 'admin' }`), or `true` for any authenticated caller. */
  allow?: Requirement | true
  /** Forbids when it holds; a matching deny rule wins over every allow rule. */
  deny?: Requirement | true
  /** ABAC conditions, all of which must hold. */
  when?: Condition | Condition[]
}

/** A role: the roles it inherits and the permissions it grants. */
export interface RoleDefinition {
  inherits?: string[]
  permissions?: string[]
}

/**
 * A policy document (YAML or JSON). See docs/policy.md and the JSON Schema in
 * schema/policy.schema.json.
 */
export interface PolicyDocument {
  /** Required. An integer, or a string compared with numeric awareness (`2026.10` > `2026.9`). */
  version: string | number
  description?: string
  /** Proxies whose `X-Forwarded-For` is believed when reading the client IP (CIDR ranges). */
  trustedProxies?: string[]
  /** Role hierarchy and the permissions each role grants. */
  roles?: Record<string, RoleDefinition>
  /** Permissions granted by each scope. */
  scopes?: Record<string, string[]>
  /** Permissions granted by each group. */
  groups?: Record<string, string[]>
  /** Every action name rules and routes may use. */
  actions: Record<string, { description?: string } | null>
  rules: PolicyRule[]
  /** Route bindings, e.g. `GET /orders/:id: orders.read`. */
  routes?: Record<string, string>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$/
const name = z.string().regex(NAME, 'Expected a name of letters, digits and _ . : - /')
const names = z.array(name)
const scalar = z.union([z.string(), z.number(), z.boolean()])
const AUTH_FIELDS = [
  'subject',
  'issuer',
  'clientId',
  'tenant',
  'email',
  'scopes',
  'roles',
  'groups',
  'permissions',
] as const
const authField = z.enum(AUTH_FIELDS)
const REQUEST_PATH = /^(method|path|host|ip|(params|query|headers)\.[^.\s]+)$/
const requestPath = z
  .string()
  .regex(
    REQUEST_PATH,
    'Expected method, path, host, ip, params.<name>, query.<name> or headers.<name>',
  )
const inputRef = z.union([
  z.strictObject({ auth: authField }),
  z.strictObject({ claim: z.string().min(1) }),
  z.strictObject({ request: requestPath }),
  z.strictObject({ resource: z.string().min(1) }),
])
const operand = z.union([scalar, z.array(scalar).min(1), inputRef])

export const COMPARISONS = [
  'equals',
  'notEquals',
  'in',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'before',
  'after',
  'exists',
] as const

const comparisonFields = {
  equals: operand.optional(),
  notEquals: operand.optional(),
  in: operand.optional(),
  contains: operand.optional(),
  gt: operand.optional(),
  gte: operand.optional(),
  lt: operand.optional(),
  lte: operand.optional(),
  before: operand.optional(),
  after: operand.optional(),
  exists: z.boolean().optional(),
}

function oneComparison(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const present = COMPARISONS.filter((op) => value[op] !== undefined)
  if (present.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `Expected exactly one of ${COMPARISONS.join(', ')}`,
      path: present.length > 1 ? [present[1] as string] : [],
    })
  }
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/
const day = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ claim: z.string().min(1), ...comparisonFields }).superRefine(oneComparison),
    z.strictObject({ request: requestPath, ...comparisonFields }).superRefine(oneComparison),
    z.strictObject({ resource: z.string().min(1), ...comparisonFields }).superRefine(oneComparison),
    z.strictObject({ auth: authField, ...comparisonFields }).superRefine(oneComparison),
    z.strictObject({ ip: z.array(z.string().min(1)).min(1) }),
    z.strictObject({
      time: z.strictObject({
        zone: z.string().min(1),
        days: z.array(day).min(1).optional(),
        from: z.string().regex(HHMM, 'Expected HH:MM').optional(),
        to: z.string().regex(HHMM, 'Expected HH:MM').optional(),
      }),
    }),
    z.strictObject({ predicate: name }),
    z.strictObject({ allOf: z.array(conditionSchema).min(1) }),
    z.strictObject({ anyOf: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
) as z.ZodType<Condition>

const effect = z.union([z.literal(true), requirementSchema])

const ruleSchema = z
  .strictObject({
    id: name.optional(),
    description: z.string().optional(),
    action: z.union([name, names.min(1)]),
    allow: effect.optional(),
    deny: effect.optional(),
    when: z.union([conditionSchema, z.array(conditionSchema).min(1)]).optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.allow === undefined) === (rule.deny === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'Expected exactly one of allow, deny', path: [] })
    }
  })

const ROUTE = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|\*) \/\S*$/

/** The zod schema of a policy document; the JSON Schema in schema/ is generated from it. */
export const policyDocumentSchema = z.strictObject({
  $schema: z.string().optional(),
  // Integer first, so `version: 1.10` (a YAML float, read as 1.1) is told to quote itself.
  version: z.union([
    z.number().int('Expected an integer or a string (quote a dotted version)').nonnegative(),
    z.string().min(1).max(64),
  ]),
  description: z.string().optional(),
  trustedProxies: z.array(z.string().min(1)).optional(),
  roles: z
    .record(
      name,
      z.strictObject({ inherits: names.optional(), permissions: names.optional() }).nullable(),
    )
    .optional(),
  scopes: z.record(z.string().min(1), names).optional(),
  groups: z.record(z.string().min(1), names).optional(),
  actions: z.record(name, z.strictObject({ description: z.string().optional() }).nullable()),
  rules: z.array(ruleSchema),
  routes: z
    .record(
      z.string().regex(ROUTE, 'Expected "METHOD /path", e.g. "GET /orders/:id" (METHOD may be *)'),
      name,
    )
    .optional(),
})

export type ParsedPolicyDocument = z.output<typeof policyDocumentSchema>
