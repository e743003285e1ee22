import { z } from 'zod'
import { allOf, anyOf, not } from './combinators.js'
import { requireClaim, type ClaimValue } from './claim-guards.js'
import type { Guard } from './guard.js'
import {
  requireAnyGroup,
  requireAnyPermission,
  requireAnyRole,
  requireAnyScope,
  requireGroup,
  requirePermission,
  requireRole,
  requireScope,
} from './list-guards.js'
import { requireClaimMatches, requireTenant } from './match-guards.js'
import { parseOrThrow } from '../config/options.js'
import { requireAcr, requireAuthTime, requireDpop } from './step-up-guards.js'
import type { RequestValue } from '../http/request-value.js'

/**
 * Requirement keys that take one name or a list, and the guard each builds: the one record the
 * requirement type, its schema and `guardFor` follow.
 */
const LIST_REQUIREMENTS = {
  /** Every listed scope. */
  scope: requireScope,
  /** At least one listed scope. */
  anyScope: requireAnyScope,
  /** Every listed role. */
  role: requireRole,
  /** At least one listed role. */
  anyRole: requireAnyRole,
  /** Every listed permission (Auth0 RBAC). */
  permission: requirePermission,
  /** At least one listed permission. */
  anyPermission: requireAnyPermission,
  /** Every listed group. */
  group: requireGroup,
  /** At least one listed group. */
  anyGroup: requireAnyGroup,
  /** One of the listed `acr` values, else 401 step-up (RFC 9470). */
  acr: requireAcr,
} as const

type ListRequirements = {
  -readonly [K in keyof typeof LIST_REQUIREMENTS]?: string | string[]
}

/**
 * A route requirement as data: the same shape on every framework and in policy documents.
 * Every key present must hold (they combine with AND).
 * @example { scope: 'orders:write', role: 'admin' }
 * @example { anyOf: [{ role: 'admin' }, { claims: { department: 'sales' } }] }
 */
export interface Requirement extends ListRequirements {
  /** Each claim equals the value, or one of the list. */
  claims?: Record<string, ClaimValue | ClaimValue[]>
  /** The token's tenant equals the request's, e.g. `{ param: 'tenantId' }`. */
  tenant?: RequestValueSpec
  /** Each claim equals a value of the request, e.g. `{ sub: { param: 'userId' } }`. */
  claimMatches?: Record<string, RequestValueSpec>
  /** The user authenticated at most `maxAge` seconds ago, else 401 step-up (RFC 9470). */
  authTime?: { maxAge: number }
  /** `true`: the token must be DPoP-bound (RFC 9449). */
  dpop?: true
  allOf?: Requirement[]
  anyOf?: Requirement[]
  not?: Requirement
}

const LIST_KEYS = Object.keys(LIST_REQUIREMENTS) as (keyof typeof LIST_REQUIREMENTS)[]

/** A `RequestValue` as data (no functions), as requirement objects and policy documents hold it. */
export type RequestValueSpec = Exclude<RequestValue, (request: never) => unknown>

const names = z.union([z.string(), z.array(z.string()).min(1)])
const requestValue = z.union([
  z.strictObject({ param: z.string().min(1) }),
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ query: z.string().min(1) }),
  z.strictObject({ host: z.literal('subdomain') }),
])
const claimValue = z.union([z.string(), z.number(), z.boolean()])

/** The zod schema of a requirement object (policy documents embed it). */
export const requirementSchema: z.ZodType<Requirement> = z.lazy(() =>
  z
    .strictObject({
      ...Object.fromEntries(LIST_KEYS.map((key) => [key, names.optional()])),
      tenant: requestValue.optional(),
      claimMatches: z.record(z.string().min(1), requestValue).optional(),
      authTime: z.strictObject({ maxAge: z.number().int().nonnegative() }).optional(),
      dpop: z.literal(true).optional(),
      claims: z
        .record(z.string().min(1), z.union([claimValue, z.array(claimValue).min(1)]))
        .optional(),
      allOf: z.array(requirementSchema).min(1).optional(),
      anyOf: z.array(requirementSchema).min(1).optional(),
      not: requirementSchema.optional(),
    })
    .refine((value) => Object.keys(value).length > 0, 'Expected at least one requirement'),
)

const list = (value: string | string[]) => (typeof value === 'string' ? [value] : value)

/**
 * The guard of a requirement already validated by {@link requirementSchema} (a policy document
 * embeds it), without validating it again; names are still checked by the guard builders.
 */
export function toGuard(requirement: Requirement): Guard {
  const guards: Guard[] = []
  for (const key of LIST_KEYS) {
    const value = requirement[key]
    if (value !== undefined) guards.push(LIST_REQUIREMENTS[key](...list(value)))
  }
  if (requirement.tenant !== undefined) guards.push(requireTenant(requirement.tenant))
  for (const [claim, from] of Object.entries(requirement.claimMatches ?? {})) {
    guards.push(requireClaimMatches(claim, from))
  }
  for (const [name, value] of Object.entries(requirement.claims ?? {})) {
    guards.push(requireClaim(name, value))
  }
  if (requirement.authTime !== undefined) guards.push(requireAuthTime(requirement.authTime))
  if (requirement.dpop) guards.push(requireDpop())
  if (requirement.allOf) guards.push(allOf(...requirement.allOf.map(toGuard)))
  if (requirement.anyOf) guards.push(anyOf(...requirement.anyOf.map(toGuard)))
  if (requirement.not) guards.push(not(toGuard(requirement.not)))
  return guards.length === 1 ? (guards[0] as Guard) : allOf(...guards)
}

/**
 * Builds a guard from a requirement object, validated now: an unknown key or an empty value
 * throws a `ConfigurationError` naming it.
 * @example guardFor({ scope: 'orders:write', role: 'admin' })
 */
export function guardFor(requirement: Requirement): Guard {
  return toGuard(parseOrThrow(requirementSchema, requirement, 'Invalid oidc-guard requirement:'))
}
