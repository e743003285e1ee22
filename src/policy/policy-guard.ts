import { ConfigurationError } from '../errors/errors.js'
import type { Guard } from '../guards/guard.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { PolicyDecision } from './compile.js'
import { pinnedPolicy, type PolicyState } from './policy.js'
import type { RouteMatch } from './router.js'

/** Options of `enforcePolicy()`. */
export interface EnforcePolicyOptions {
  /**
   * What a request on a route the document does not bind gets: `'deny'` (403, reason "no
   * rule") or `'pass'` (no decision; the next middleware runs). Default `'deny'`.
   */
  unbound?: 'deny' | 'pass'
}

/** A policy decision with what produced it, for decision events. */
export interface PolicyOutcome {
  readonly decision: PolicyDecision
  /** True when an unbound route passes through by choice. */
  readonly pass: boolean
  readonly state: PolicyState | undefined
  readonly match: RouteMatch | undefined
}

/** A guard decided by the policy pinned on the request; adapters turn it into middleware. */
export interface PolicyGuard extends Guard {
  /** Decides under the version pinned on `request`, with what decision events report. */
  decidePolicy(auth: AuthContext, request: AuthRequest): PolicyOutcome
}

const NO_POLICY: PolicyDecision = Object.freeze({
  allowed: false,
  guard: 'policy',
  reason: 'no policy: pass { policy } to authenticate()',
  version: '',
  action: undefined,
  rule: undefined,
})

function requestPath(request: AuthRequest): string {
  // Typed as strings, but a hand-made request may hold anything: anything else matches no route.
  const raw: unknown = request.originalUrl ?? request.path
  const text = typeof raw === 'string' ? raw : ''
  const query = text.indexOf('?')
  return query === -1 ? text : text.slice(0, query)
}

function create(
  description: string,
  args: readonly unknown[],
  decide: (auth: AuthContext, request: AuthRequest) => PolicyOutcome,
): PolicyGuard {
  return Object.freeze({
    description,
    descriptor: Object.freeze({ name: description.slice(0, description.indexOf('(')), args }),
    decidePolicy: decide,
    evaluate: (auth: AuthContext, request: AuthRequest) => decide(auth, request).decision,
  })
}

/**
 * The route binding decides: the request's method and path are matched against the document's
 * `routes` (a precompiled trie) and the bound action is decided. No binding: 403 "no rule",
 * unless `unbound: 'pass'`.
 * @example app.use(authenticate({ issuer, audience, policy })); app.use(enforcePolicy())
 */
export function createPolicyGuard(options: EnforcePolicyOptions = {}): PolicyGuard {
  const unbound = options.unbound ?? 'deny'
  if (unbound !== 'deny' && unbound !== 'pass') {
    throw new ConfigurationError(`enforcePolicy() unbound must be 'deny' or 'pass'`)
  }
  return create('enforcePolicy()', [], (auth, request) => {
    const state = pinnedPolicy(request)
    if (!state) return { decision: NO_POLICY, pass: false, state, match: undefined }
    const compiled = state.compiled
    const match = compiled.route(request.method, requestPath(request))
    if (!match) {
      return {
        decision: compiled.unbound,
        pass: unbound === 'pass',
        state,
        match,
      }
    }
    const decision = compiled.decide(match.binding.action, auth, { request }, match)
    return { decision, pass: false, state, match }
  })
}

/**
 * The named action decides, whatever the route; the document must declare it (a document
 * without an action in use is refused on reload).
 * @example app.post('/orders/:id/refund', requireAction('orders.refund'), refund)
 */
export function createActionGuard(action: string): PolicyGuard {
  if (typeof action !== 'string' || action === '') {
    throw new ConfigurationError('requireAction() needs an action name')
  }
  return create(`requireAction(${action})`, [action], (auth, request) => {
    const state = pinnedPolicy(request)
    if (!state) return { decision: NO_POLICY, pass: false, state, match: undefined }
    state.policy.use(action)
    return {
      decision: state.compiled.decide(action, auth, { request }),
      pass: false,
      state,
      match: undefined,
    }
  })
}
