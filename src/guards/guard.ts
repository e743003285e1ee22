import type { AuthContext } from '../verify/auth-context.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { Decision } from '../errors/decision.js'
import { ConfigurationError } from '../errors/errors.js'

/** A guard as plain data: its name and arguments (a policy document can hold it). */
export interface GuardDescriptor {
  readonly name: string
  readonly args: readonly unknown[]
}

/**
 * A framework-neutral authorization rule. Build guards at startup (arguments are checked then,
 * so a guard never fails open) and evaluate them per request; each adapter turns one into route
 * middleware.
 */
export interface Guard {
  /** Readable form, e.g. `requireScope(orders:write)`; it names the guard in decisions. */
  readonly description: string
  /** Plain-data form: name and arguments. */
  readonly descriptor: GuardDescriptor
  /** Decides for one authenticated request; never throws (a failing predicate denies). */
  evaluate(auth: AuthContext, request: AuthRequest): Decision
}

// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function checkNames(guardName: string, kind: string, names: readonly unknown[]): string[] {
  if (names.length === 0) {
    throw new ConfigurationError(`${guardName}() needs at least one ${kind}`)
  }
  for (const name of names) {
    if (typeof name !== 'string' || !SCOPE_TOKEN.test(name)) {
      throw new ConfigurationError(
        `${guardName}() got ${JSON.stringify(name) ?? String(name)}: each ${kind} must be a non-empty string without spaces or quotes`,
      )
    }
  }
  return [...new Set(names as string[])]
}

export function allowed(guard: string, reason: string): Decision {
  return Object.freeze({ allowed: true, guard, reason })
}

export function checkGuards(name: string, guards: readonly unknown[]): Guard[] {
  if (guards.length === 0) throw new ConfigurationError(`${name}() needs at least one guard`)
  for (const guard of guards) {
    // Adapter guards are middleware functions that are guards too.
    if (
      guard === null ||
      (typeof guard !== 'object' && typeof guard !== 'function') ||
      typeof (guard as Guard).evaluate !== 'function'
    ) {
      throw new ConfigurationError(`${name}() accepts only guards`)
    }
  }
  return [...(guards as Guard[])]
}

export function combinatorDescriptor(name: string, guards: readonly Guard[]): GuardDescriptor {
  return Object.freeze({ name, args: Object.freeze(guards.map((guard) => guard.descriptor)) })
}
