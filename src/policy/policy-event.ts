import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { PolicyOutcome } from './policy-guard.js'

/** The policy part of a decision event: version, action, rule, and the inputs read (redacted). */
export function policyEventFields(
  outcome: PolicyOutcome,
  auth: AuthContext,
  request: AuthRequest,
): {
  policyVersion?: string | number
  action?: string
  rule?: string
  route?: string
  inputs?: Record<string, unknown>
  redacted?: string[]
} {
  const { decision, state, match } = outcome
  if (!state) return {}
  const fields = {
    policyVersion: decision.version,
    action: decision.action,
    rule: decision.rule,
    route: match?.binding.route,
  }
  if (decision.action === undefined) return fields
  const all = state.compiled.inputs(decision.action, auth, { request }, match)
  const inputs: Record<string, unknown> = {}
  const redacted: string[] = []
  for (const [key, value] of Object.entries(all)) {
    if (state.policy.isRedacted(key)) redacted.push(key)
    else inputs[key] = value
  }
  return redacted.length > 0 ? { ...fields, inputs, redacted } : { ...fields, inputs }
}
