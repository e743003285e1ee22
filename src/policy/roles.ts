import type { ParsedPolicyDocument } from './schema.js'

/** Reports a problem at a document path; compilation collects them all before failing. */
export type Report = (path: readonly PropertyKey[], message: string) => void

/** The role hierarchy and permission maps, flattened once so a decision only looks them up. */
export interface Entitlements {
  /** A role and every role it inherits, transitively. */
  readonly roleClosure: ReadonlyMap<string, readonly string[]>
  /** Permissions granted by each role (inherited ones included), scope and group. */
  readonly byRole: ReadonlyMap<string, readonly string[]>
  readonly byScope: ReadonlyMap<string, readonly string[]>
  readonly byGroup: ReadonlyMap<string, readonly string[]>
  /** False when the document maps nothing: the token's own lists are used as they are. */
  readonly active: boolean
}

/**
 * Flattens `roles` (refusing cycles and unknown parents) and the scope and group maps.
 * @example admin inherits editor inherits viewer → admin holds all three roles' permissions
 */
export function compileEntitlements(doc: ParsedPolicyDocument, report: Report): Entitlements {
  const roles = doc.roles ?? {}
  const closure = new Map<string, string[]>()
  const visiting = new Set<string>()

  function expand(role: string, trail: string[]): string[] {
    const done = closure.get(role)
    if (done) return done
    if (visiting.has(role)) {
      report(
        ['roles', role, 'inherits'],
        `cycle in role hierarchy: ${[...trail, role].join(' → ')}`,
      )
      return [role]
    }
    visiting.add(role)
    const result = new Set([role])
    ;(roles[role]?.inherits ?? []).forEach((parent, index) => {
      if (!Object.hasOwn(roles, parent)) {
        report(['roles', role, 'inherits', index], `unknown role "${parent}"`)
        return
      }
      for (const inherited of expand(parent, [...trail, role])) result.add(inherited)
    })
    visiting.delete(role)
    const list = [...result]
    closure.set(role, list)
    return list
  }
  for (const role of Object.keys(roles)) expand(role, [])

  const byRole = new Map<string, string[]>()
  for (const [role, members] of closure) {
    byRole.set(role, [...new Set(members.flatMap((member) => roles[member]?.permissions ?? []))])
  }
  const asMap = (record: Record<string, string[]> | undefined) =>
    new Map(Object.entries(record ?? {}))
  return {
    roleClosure: closure,
    byRole,
    byScope: asMap(doc.scopes),
    byGroup: asMap(doc.groups),
    active: closure.size > 0 || doc.scopes !== undefined || doc.groups !== undefined,
  }
}

/** Effective roles and permissions of one caller. */
export interface Held {
  readonly roles: ReadonlySet<string>
  readonly permissions: ReadonlySet<string>
}

/** Expands a caller's token lists through the document's maps. */
export function expandHeld(
  entitlements: Entitlements,
  token: {
    roles: readonly string[]
    scopes: readonly string[]
    groups: readonly string[]
    permissions: readonly string[]
  },
): Held {
  const roles = new Set<string>()
  const permissions = new Set(token.permissions)
  for (const role of token.roles) {
    for (const inherited of entitlements.roleClosure.get(role) ?? [role]) roles.add(inherited)
    for (const permission of entitlements.byRole.get(role) ?? []) permissions.add(permission)
  }
  for (const scope of token.scopes) {
    for (const permission of entitlements.byScope.get(scope) ?? []) permissions.add(permission)
  }
  for (const group of token.groups) {
    for (const permission of entitlements.byGroup.get(group) ?? []) permissions.add(permission)
  }
  return { roles, permissions }
}
