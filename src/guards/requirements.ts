import { z } from 'zod'
import { ConfigurationError } from '../errors/errors.js'
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
import { formatIssues } from '../config/options.js'
import type { RequestValue } from '../http/request-value.js'

/**
 * A route requirement as data: the same shape on every framework and in policy documents.
 * Every key present must hold (they combine with AND).
 * @example { scope: 'orders:write', role: 'admin' }
 * @example { anyOf: [{ role: 'admin' }, { claims: { department: 'sales' } }] }
 */
export interface Requirement {
  /** Every listed scope. */
  scope?: string | string[]
  /** At least one listed scope. */
  anyScope?: string | string[]
  /** Every listed role. */
  role?: string | string[]
  /** At least one listed role. */
  anyRole?: string | string[]
  /** Every listed permission (Auth0 RBAC). */
  permission?: string | string[]
  /** At least one listed permission. */
  anyPermission?: string | string[]
  /** Every listed group. */
  group?: string | string[]
  /** At least one listed group. */
  anyGroup?: string | string[]
  /** Each claim equals the value, or one of the list. */
  claims?: Record<string, ClaimValue | ClaimValue[]>
  /** The token's tenant equals the request's, e.g. `{ param: 'tenantId' }`. */
  tenant?: RequestValueSpec
  /** Each claim equals a value of the request, e.g. `{ sub: { param: 'userId' } }`. */
  claimMatches?: Record<string, RequestValueSpec>
  allOf?: Requirement[]
  anyOf?: Requirement[]
  not?: Requirement
}

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
      scope: names.optional(),
      anyScope: names.optional(),
      role: names.optional(),
      anyRole: names.optional(),
      permission: names.optional(),
      anyPermission: names.optional(),
      group: names.optional(),
      anyGroup: names.optional(),
      tenant: requestValue.optional(),
      claimMatches: z.record(z.string().min(1), requestValue).optional(),
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

function toGuard(requirement: Requirement): Guard {
  const guards: Guard[] = []
  if (requirement.scope !== undefined) guards.push(requireScope(...list(requirement.scope)))
  if (requirement.anyScope !== undefined)
    guards.push(requireAnyScope(...list(requirement.anyScope)))
  if (requirement.role !== undefined) guards.push(requireRole(...list(requirement.role)))
  if (requirement.anyRole !== undefined) guards.push(requireAnyRole(...list(requirement.anyRole)))
  if (requirement.permission !== undefined)
    guards.push(requirePermission(...list(requirement.permission)))
  if (requirement.anyPermission !== undefined)
    guards.push(requireAnyPermission(...list(requirement.anyPermission)))
  if (requirement.group !== undefined) guards.push(requireGroup(...list(requirement.group)))
  if (requirement.anyGroup !== undefined)
    guards.push(requireAnyGroup(...list(requirement.anyGroup)))
  if (requirement.tenant !== undefined) guards.push(requireTenant(requirement.tenant))
  for (const [claim, from] of Object.entries(requirement.claimMatches ?? {})) {
    guards.push(requireClaimMatches(claim, from))
  }
  for (const [name, value] of Object.entries(requirement.claims ?? {})) {
    guards.push(requireClaim(name, value))
  }
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
  const parsed = requirementSchema.safeParse(requirement)
  if (!parsed.success) {
    throw new ConfigurationError(
      formatIssues('Invalid oidc-guard requirement:', parsed.error.issues),
    )
  }
  return toGuard(parsed.data)
}
