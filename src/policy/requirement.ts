import type { Requirement, RequestValueSpec } from '../guards/requirements.js'
import type { Env, Reader } from './env.js'
import { allNode, anyNode, leaf, notNode, type Node, type Trace } from './node.js'

/** What compiling a requirement needs from the policy: readers and the caller's effective lists. */
export interface RequirementContext {
  reader(key: string): Reader
  /** Effective roles (hierarchy applied) and the inputs they come from. */
  roles(env: Env): ReadonlySet<string>
  readonly roleInputs: readonly string[]
  /** Effective permissions (token's, plus those granted by roles, scopes and groups). */
  permissions(env: Env): ReadonlySet<string>
  readonly permissionInputs: readonly string[]
}

const list = (value: string | string[]) => [...new Set(typeof value === 'string' ? [value] : value)]

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/** The input name a `RequestValueSpec` reads, and how its value becomes the compared string. */
function requestInput(spec: RequestValueSpec): [string, (value: unknown) => string | undefined] {
  if ('param' in spec) return [`request.params.${spec.param}`, asString]
  if ('header' in spec) return [`request.headers.${spec.header.toLowerCase()}`, asString]
  if ('query' in spec) return [`request.query.${spec.query}`, asString]
  return [
    'request.host',
    (value) => {
      const host = asString(value)
      const dot = host?.indexOf('.') ?? -1
      return dot > 0 ? host?.slice(0, dot) : undefined
    },
  ]
}

function claimMatches(actual: unknown, expected: unknown): boolean {
  return actual === expected || (Array.isArray(actual) && actual.includes(expected))
}

// A list check (scopes, roles, permissions, groups) as a class: its `test` is shared by every
// rule, so V8 optimizes it once however many rules a document has.
type ListSource = 'scopes' | 'groups' | 'roles' | 'permissions'

class HeldNode implements Node {
  readonly reads: readonly string[]
  constructor(
    readonly label: string,
    private readonly names: readonly string[],
    private readonly every: boolean,
    private readonly source: ListSource,
    private readonly readers: readonly (readonly [string, Reader])[],
    private readonly ctx: RequirementContext,
  ) {
    this.reads = readers.map(([key]) => key)
  }
  test(env: Env): boolean {
    const source = this.source
    if (source === 'roles' || source === 'permissions') {
      const items = source === 'roles' ? this.ctx.roles(env) : this.ctx.permissions(env)
      if (this.every) {
        for (const name of this.names) if (!items.has(name)) return false
        return true
      }
      for (const name of this.names) if (items.has(name)) return true
      return false
    }
    const items = ((this.readers[0] as readonly [string, Reader])[1](env) ??
      []) as readonly string[]
    if (this.every) {
      for (const name of this.names) if (!items.includes(name)) return false
      return true
    }
    for (const name of this.names) if (items.includes(name)) return true
    return false
  }
  trace(env: Env): Trace {
    const read: Record<string, unknown> = {}
    for (const [key, reader] of this.readers) read[key] = reader(env) ?? null
    return { label: this.label, pass: this.test(env), read }
  }
}

/**
 * Compiles a requirement (the guard shape, already validated by `guardFor`) into a node with
 * the same meaning as the guard, except that roles follow the document's hierarchy and
 * permissions include those its maps grant. A property test holds the two equal on documents
 * without maps.
 */
export function compileRequirement(requirement: Requirement, ctx: RequirementContext): Node {
  const nodes: Node[] = []
  const held = (kind: string, names: string[], every: boolean, source: ListSource) => {
    const inputs =
      source === 'roles'
        ? ctx.roleInputs
        : source === 'permissions'
          ? ctx.permissionInputs
          : [`auth.${source}`]
    const readers = inputs.map((key) => [key, ctx.reader(key)] as const)
    const label = `${every ? '' : 'any '}${kind} ${names.join(', ')}`
    nodes.push(new HeldNode(label, names, every, source, readers, ctx))
  }
  const { scope, anyScope, role, anyRole, permission, anyPermission, group, anyGroup } = requirement
  if (scope !== undefined) held('scope', list(scope), true, 'scopes')
  if (anyScope !== undefined) held('scope', list(anyScope), false, 'scopes')
  if (role !== undefined) held('role', list(role), true, 'roles')
  if (anyRole !== undefined) held('role', list(anyRole), false, 'roles')
  if (permission !== undefined) held('permission', list(permission), true, 'permissions')
  if (anyPermission !== undefined) held('permission', list(anyPermission), false, 'permissions')
  if (group !== undefined) held('group', list(group), true, 'groups')
  if (anyGroup !== undefined) held('group', list(anyGroup), false, 'groups')
  if (requirement.tenant !== undefined) {
    const [key, convert] = requestInput(requirement.tenant)
    const fromRequest = ctx.reader(key)
    const tenant = ctx.reader('auth.tenant')
    nodes.push(
      leaf(
        `tenant equals ${key}`,
        [
          ['auth.tenant', tenant],
          [key, fromRequest],
        ],
        (env) => {
          const expected = convert(fromRequest(env))
          const actual = tenant(env)
          // Both must be present: an absent tenant never matches an absent route parameter.
          return expected !== undefined && actual !== undefined && actual === expected
        },
      ),
    )
  }
  for (const [claim, spec] of Object.entries(requirement.claimMatches ?? {})) {
    const [key, convert] = requestInput(spec)
    const fromRequest = ctx.reader(key)
    const claimKey = `claims.${claim}`
    const value = ctx.reader(claimKey)
    nodes.push(
      leaf(
        `${claimKey} equals ${key}`,
        [
          [claimKey, value],
          [key, fromRequest],
        ],
        (env) => {
          const expected = convert(fromRequest(env))
          const raw = value(env)
          const actual =
            typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined
          return expected !== undefined && actual !== undefined && actual === expected
        },
      ),
    )
  }
  for (const [claim, expected] of Object.entries(requirement.claims ?? {})) {
    const claimKey = `claims.${claim}`
    const value = ctx.reader(claimKey)
    const accepted = Array.isArray(expected) ? expected : [expected]
    nodes.push(
      leaf(
        `${claimKey} is ${accepted.map((item) => JSON.stringify(item)).join(' or ')}`,
        [[claimKey, value]],
        (env) => {
          const actual = value(env)
          for (const item of accepted) if (claimMatches(actual, item)) return true
          return false
        },
      ),
    )
  }
  if (requirement.allOf) {
    nodes.push(
      allNode(
        'allOf',
        requirement.allOf.map((inner) => compileRequirement(inner, ctx)),
      ),
    )
  }
  if (requirement.anyOf) {
    nodes.push(
      anyNode(
        'anyOf',
        requirement.anyOf.map((inner) => compileRequirement(inner, ctx)),
      ),
    )
  }
  if (requirement.not) nodes.push(notNode(compileRequirement(requirement.not, ctx)))
  return allNode('allOf', nodes)
}
