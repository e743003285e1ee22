import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { Decision, StepUp } from '../errors/decision.js'
import { allowed, checkGuards, combinatorDescriptor, type Guard } from './guard.js'

/** Allows when every guard allows; the first denial explains the decision. */
export function allOf(...guards: Guard[]): Guard {
  const members = checkGuards('allOf', guards)
  const description = `allOf(${members.map((guard) => guard.description).join(', ')})`
  const allow = allowed(description, 'every guard allowed')
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('allOf', members),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      for (const guard of members) {
        const decision = guard.evaluate(auth, request)
        if (!decision.allowed) {
          return {
            allowed: false,
            guard: description,
            reason: `${decision.guard} denied: ${decision.reason}`,
            missing: decision.missing,
            scope: decision.scope,
            ...(decision.stepUp && { stepUp: decision.stepUp }),
            ...(decision.dpopRequired && { dpopRequired: true }),
          }
        }
      }
      return allow
    },
  })
}

/** Allows when at least one guard allows; a denial lists what each alternative lacked. */
export function anyOf(...guards: Guard[]): Guard {
  const members = checkGuards('anyOf', guards)
  const description = `anyOf(${members.map((guard) => guard.description).join(', ')})`
  const allow = allowed(description, 'a guard allowed')
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('anyOf', members),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      const denials: Decision[] = []
      for (const guard of members) {
        const decision = guard.evaluate(auth, request)
        if (decision.allowed) return allow
        denials.push(decision)
      }
      const missing = [...new Set(denials.flatMap((decision) => decision.missing ?? []))]
      const scope = [...new Set(denials.flatMap((decision) => decision.scope ?? []))]
      const stepUp = mergeStepUps(denials)
      return {
        allowed: false,
        guard: description,
        reason: `no guard allowed: ${denials.map((decision) => decision.reason).join('; ')}`,
        missing,
        scope: scope.length > 0 ? scope : undefined,
        // When one alternative is a stronger or fresher login, the client can still get in.
        ...(stepUp && { stepUp }),
      }
    },
  })
}

/** Allows when the guard denies. Useful for exclusions, e.g. `not(requireRole('suspended'))`. */
export function not(guard: Guard): Guard {
  const [inner] = checkGuards('not', [guard]) as [Guard]
  const description = `not(${inner.description})`
  const allow = allowed(description, `${inner.description} denied`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `${inner.description} allowed`,
  })
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('not', [inner]),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      return inner.evaluate(auth, request).allowed ? deny : allow
    },
  })
}

// Step-up alternatives of an anyOf: any listed acr, and the shortest max_age.
function mergeStepUps(denials: readonly Decision[]): StepUp | undefined {
  const stepUps = denials.flatMap((decision) => (decision.stepUp ? [decision.stepUp] : []))
  if (stepUps.length === 0) return undefined
  const acrValues = [...new Set(stepUps.flatMap((stepUp) => stepUp.acrValues ?? []))]
  const ages = stepUps.flatMap((stepUp) => (stepUp.maxAge === undefined ? [] : [stepUp.maxAge]))
  return {
    ...(acrValues.length > 0 && { acrValues }),
    ...(ages.length > 0 && { maxAge: Math.min(...ages) }),
  }
}
