import { createHash } from 'node:crypto'
import { toGuard, type Requirement } from '../guards/requirements.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { Decision } from '../errors/decision.js'
import { compileCidrs, type CidrSet } from './client-ip.js'
import { compileCondition } from './conditions.js'
import {
  compileReader,
  Env,
  type PolicyPredicate,
  type Reader,
  type RecordedInputs,
} from './env.js'
import { allNode, ALWAYS, type Node, type Trace } from './node.js'
import type { SourcedDocument } from './parse.js'
import { PolicyError, formatPath, type PolicyIssue } from './policy-error.js'
import { compileRequirement, type RequirementContext } from './requirement.js'
import { compileEntitlements, expandHeld, type Held } from './roles.js'
import { createRouter, type RouteBinding, type RouteMatch, type Router } from './router.js'
import type { ParsedPolicyDocument } from './schema.js'

/** The outcome of a policy decision: the guard decision plus the version, action and rule. */
export interface PolicyDecision extends Decision {
  /** `policy(<action>)`, naming the decision like a guard's description. */
  readonly guard: string
  /** The version of the document that decided. */
  readonly version: string | number
  /** The action decided; undefined when no route binding matched. */
  readonly action: string | undefined
  /** The rule that decided: the allowing rule, the forbidding rule, or undefined ("no rule"). */
  readonly rule: string | undefined
  /** The route binding that chose the action, e.g. `GET /orders/:id`. */
  readonly route?: string
}

/** A compiled rule. */
export interface CompiledRule {
  readonly id: string
  readonly effect: 'allow' | 'deny'
  readonly node: Node
  /** The decision it makes, built once. */
  readonly decision: PolicyDecision
}

/** A compiled action: its forbidding and allowing rules, and every input they may read. */
export interface CompiledAction {
  readonly name: string
  readonly deny: readonly CompiledRule[]
  readonly allow: readonly CompiledRule[]
  readonly reads: readonly string[]
  readonly noRule: PolicyDecision
}

/** What a decision is asked about. */
export interface DecisionInput {
  readonly resource?: unknown
  readonly request?: AuthRequest
}

/** A validated document compiled for evaluation; immutable, swapped whole on reload. */
export interface CompiledPolicy {
  readonly version: string | number
  readonly document: ParsedPolicyDocument
  /** SHA-256 of the document's canonical JSON: equal documents, equal digests. */
  readonly digest: string
  /** @internal The compiled actions by name (explain, replay, the CLI). */
  readonly actions: ReadonlyMap<string, CompiledAction>
  /** @internal The route bindings' precompiled trie. */
  readonly router: Router
  /** The decision for a request no binding matches: denied, reason "no rule". */
  readonly unbound: PolicyDecision
  /** Decides an action for a live request. */
  decide(
    action: string,
    auth: AuthContext,
    input?: DecisionInput,
    match?: RouteMatch,
  ): PolicyDecision
  /** Decides a request by its route binding; `undefined` when none matches. */
  route(method: string, path: string): RouteMatch | undefined
  /** Decides from recorded inputs (replay); throws `Undetermined` when they are not enough. */
  decideRecorded(action: string, inputs: RecordedInputs): PolicyDecision
  /** The decision with the trace of every rule evaluated (explain). */
  explain(
    action: string,
    auth: AuthContext,
    input?: DecisionInput & { now?: number },
    match?: RouteMatch,
  ): { decision: PolicyDecision; rules: { id: string; effect: string; trace: Trace }[] }
  /** The inputs the action's rules read, with their values for this request (decision events). */
  inputs(
    action: string,
    auth: AuthContext,
    input?: DecisionInput,
    match?: RouteMatch,
  ): Record<string, unknown>
}

/** Options that come from code, not from the document. */
export interface CompileOptions {
  readonly predicates?: ReadonlyMap<string, PolicyPredicate>
  /** Actions the application's code uses (`requireAction`); a document lacking one is refused. */
  readonly requiredActions?: Iterable<string>
}

// One string built left to right (a reload hashes the whole document: keep it linear and lean).
function canonical(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    out.push('[')
    value.forEach((item, index) => {
      if (index > 0) out.push(',')
      canonical(item, out)
    })
    out.push(']')
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
    out.push('{')
    keys.forEach((key, index) => {
      out.push(index > 0 ? ',' : '', JSON.stringify(key), ':')
      canonical(record[key], out)
    })
    out.push('}')
  } else out.push(JSON.stringify(value))
  return out
}

const LIST_INPUTS = ['auth.roles', 'auth.scopes', 'auth.groups', 'auth.permissions'] as const

/**
 * Compiles a validated document: role hierarchy, permission maps, rules (requirements through
 * `guardFor`, then ABAC conditions), and the route trie. Collects every semantic problem (cycles,
 * unknown actions, roles, predicates, zones, CIDRs, route conflicts) and throws one `PolicyError`.
 */
export function compilePolicy(
  sourced: SourcedDocument,
  options: CompileOptions = {},
): CompiledPolicy {
  const { document: doc, locate, source } = sourced
  const issues: PolicyIssue[] = []
  const report = (path: readonly PropertyKey[], message: string) =>
    issues.push({ source, ...locate(path), path: formatPath(path), message })
  const predicates = options.predicates ?? new Map<string, PolicyPredicate>()
  const readers = new Map<string, Reader>()
  const reader = (key: string) => {
    let found = readers.get(key)
    if (!found) readers.set(key, (found = compileReader(key, predicates)))
    return found
  }
  const entitlements = compileEntitlements(doc, report)
  const trusted: CidrSet | undefined = doc.trustedProxies
    ? compileCidrs(doc.trustedProxies, (index) =>
        report(['trustedProxies', index], 'expected an IP address or CIDR range'),
      )
    : undefined

  // Effective lists per caller, remembered per verified token (AuthContexts are cached and frozen).
  const heldCache = new WeakMap<AuthContext, Held>()
  const listReaders = LIST_INPUTS.map((key) => reader(key))
  const tokenLists = (env: Env) => {
    const [roles, scopes, groups, permissions] = listReaders.map(
      (read) => (read(env) ?? []) as readonly string[],
    ) as [string[], string[], string[], string[]]
    return { roles, scopes, groups, permissions }
  }
  function heldOf(env: Env): Held {
    if (env.held) return env.held
    const auth = env.auth
    if (env.recorded === undefined && auth) {
      let held = heldCache.get(auth)
      if (!held) heldCache.set(auth, (held = expandHeld(entitlements, auth)))
      return (env.held = held)
    }
    return (env.held = expandHeld(entitlements, tokenLists(env)))
  }
  const rolesReader = reader('auth.roles')
  const requirementContext: RequirementContext = {
    reader,
    roleInputs: ['auth.roles'],
    roles(env) {
      if (env.recorded === undefined) return heldOf(env).roles
      // Replaying a role check needs only the recorded roles.
      return expandHeld(entitlements, {
        roles: (rolesReader(env) ?? []) as string[],
        scopes: [],
        groups: [],
        permissions: [],
      }).roles
    },
    permissionInputs: entitlements.active ? LIST_INPUTS : ['auth.permissions'],
    permissions: (env) => heldOf(env).permissions,
  }

  const actionNames = new Set(Object.keys(doc.actions))
  const drafts = new Map<string, { deny: CompiledRule[]; allow: CompiledRule[] }>()
  for (const name of actionNames) drafts.set(name, { deny: [], allow: [] })
  const ids = new Set<string>()
  doc.rules.forEach((rule, index) => {
    const at: PropertyKey[] = ['rules', index]
    const id = rule.id ?? `rules[${index}]`
    if (ids.has(id)) report([...at, 'id'], `duplicate rule id "${id}"`)
    ids.add(id)
    const effect = rule.allow !== undefined ? 'allow' : 'deny'
    const requirement = (rule.allow ?? rule.deny) as Requirement | true
    let requirementNode: Node = ALWAYS
    if (requirement !== true) {
      try {
        // The guard builders check names as they do for route guards (same shape, same rules);
        // validateDocument already parsed the shape with the same schema.
        toGuard(requirement)
        requirementNode = compileRequirement(requirement, requirementContext)
      } catch (error) {
        report([...at, effect], (error as Error).message.replace(/\s+/g, ' '))
      }
    }
    const conditions =
      rule.when === undefined
        ? []
        : [
            compileCondition(
              rule.when,
              { reader, report, hasPredicate: (name) => predicates.has(name) },
              [...at, 'when'],
            ),
          ]
    const node = allNode('rule', [requirementNode, ...conditions])
    const actions = typeof rule.action === 'string' ? [rule.action] : rule.action
    actions.forEach((action, actionIndex) => {
      const draft = drafts.get(action)
      if (!draft) {
        const path =
          typeof rule.action === 'string' ? [...at, 'action'] : [...at, 'action', actionIndex]
        report(path, `unknown action "${action}" (declare it under actions)`)
        return
      }
      const decision: PolicyDecision = Object.freeze({
        allowed: effect === 'allow',
        guard: `policy(${action})`,
        reason: effect === 'allow' ? `rule ${id} allows ${action}` : `rule ${id} denies ${action}`,
        version: doc.version,
        action,
        rule: id,
      })
      draft[effect].push({ id, effect, node, decision })
    })
  })

  const actions = new Map<string, CompiledAction>()
  for (const [name, draft] of drafts) {
    const rules = [...draft.deny, ...draft.allow]
    actions.set(name, {
      name,
      deny: draft.deny,
      allow: draft.allow,
      reads: [...new Set(rules.flatMap((rule) => rule.node.reads))],
      noRule: Object.freeze({
        allowed: false,
        guard: `policy(${name})`,
        reason: `no rule allows ${name}`,
        version: doc.version,
        action: name,
        rule: undefined,
      }),
    })
  }
  for (const required of options.requiredActions ?? []) {
    if (!actions.has(required)) {
      report(['actions'], `action "${required}" is used by the application but not declared`)
    }
  }

  const bindings: RouteBinding[] = []
  for (const [route, action] of Object.entries(doc.routes ?? {})) {
    if (!actions.has(action)) report(['routes', route], `unknown action "${action}"`)
    bindings.push({ route, action })
  }
  const router = createRouter(bindings, (binding, message) =>
    report(['routes', binding.route], message),
  )
  if (issues.length > 0) throw new PolicyError(issues)

  function evaluate(compiled: CompiledAction, env: Env): PolicyDecision {
    for (const rule of compiled.deny) if (rule.node.test(env)) return rule.decision
    for (const rule of compiled.allow) if (rule.node.test(env)) return rule.decision
    return compiled.noRule
  }
  const unknownAction = (action: string): PolicyDecision => ({
    allowed: false,
    guard: `policy(${action})`,
    reason: `unknown action ${action}`,
    version: doc.version,
    action,
    rule: undefined,
  })
  const liveEnv = (
    auth: AuthContext,
    input?: DecisionInput & { now?: number },
    match?: RouteMatch,
  ) => new Env(auth, input?.request, input?.resource, match?.params, undefined, trusted, input?.now)
  // A literal, not a spread: spreading a frozen object takes V8's slow path.
  const withRoute = (decision: PolicyDecision, match: RouteMatch | undefined): PolicyDecision =>
    match
      ? {
          allowed: decision.allowed,
          guard: decision.guard,
          reason: decision.reason,
          version: decision.version,
          action: decision.action,
          rule: decision.rule,
          route: match.binding.route,
        }
      : decision

  return Object.freeze({
    version: doc.version,
    document: doc,
    digest: createHash('sha256').update(canonical(doc).join('')).digest('base64url'),
    actions,
    router,
    unbound: Object.freeze({
      allowed: false,
      guard: 'policy',
      reason: 'no rule: no route binding matches this request',
      version: doc.version,
      action: undefined,
      rule: undefined,
    }),
    route: (method: string, path: string) => router.match(method, path),
    decide(action: string, auth: AuthContext, input?: DecisionInput, match?: RouteMatch) {
      const compiled = actions.get(action)
      if (!compiled) return unknownAction(action)
      return withRoute(evaluate(compiled, liveEnv(auth, input, match)), match)
    },
    decideRecorded(action: string, inputs: RecordedInputs) {
      const compiled = actions.get(action)
      if (!compiled) return unknownAction(action)
      return evaluate(
        compiled,
        new Env(undefined, undefined, undefined, undefined, inputs, trusted),
      )
    },
    explain(
      action: string,
      auth: AuthContext,
      input?: DecisionInput & { now?: number },
      match?: RouteMatch,
    ) {
      const compiled = actions.get(action)
      if (!compiled) return { decision: unknownAction(action), rules: [] }
      const env = liveEnv(auth, input, match)
      return {
        decision: withRoute(evaluate(compiled, env), match),
        rules: [...compiled.deny, ...compiled.allow].map((rule) => ({
          id: rule.id,
          effect: rule.effect,
          trace: rule.node.trace(env),
        })),
      }
    },
    inputs(action: string, auth: AuthContext, input?: DecisionInput, match?: RouteMatch) {
      const compiled = actions.get(action)
      const out: Record<string, unknown> = {}
      if (!compiled) return out
      const env = liveEnv(auth, input, match)
      for (const key of compiled.reads) out[key] = reader(key)(env) ?? null
      return out
    },
  })
}

export { Env }
