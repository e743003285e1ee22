import type { Guard, GuardDescriptor } from './guard.js'

const SCOPE_GUARDS = new Set(['requireScope', 'requireAnyScope'])
const COMBINATORS = new Set(['allOf', 'anyOf'])

function collect(descriptor: GuardDescriptor, into: Set<string>): void {
  if (SCOPE_GUARDS.has(descriptor.name)) {
    for (const scope of descriptor.args) if (typeof scope === 'string') into.add(scope)
  } else if (COMBINATORS.has(descriptor.name)) {
    for (const member of descriptor.args) collect(member as GuardDescriptor, into)
  }
  // Scopes under not() are ones a token must lack: not advertised.
}

/**
 * The scopes named by guards (`requireScope`, `requireAnyScope`, inside `allOf`/`anyOf`), for
 * `scopes_supported` of the protected resource metadata (RFC 9728 §2).
 * @example scopesOf(requireScope('orders:read'), anyOf(requireScope('a'), requireRole('b')))
 */
export function scopesOf(...guards: Guard[]): string[] {
  const scopes = new Set<string>()
  for (const guard of guards) collect(guard.descriptor, scopes)
  return [...scopes]
}
