import type { OidcGuardError } from './errors.js'

// RFC 6750 §3: auth-param values are quoted-strings; `"` and `\` would end or escape them.
const UNSAFE_QUOTED = /["\\\r\n]/g

function quote(value: string): string {
  return `"${value.replace(UNSAFE_QUOTED, '')}"`
}

/**
 * Formats the `WWW-Authenticate` challenge for an error.
 *
 * RFC 6750 §3.1: a request without credentials gets a challenge with no `error`; every other
 * failure names its error code, a fixed description and, for `insufficient_scope`, the scopes.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function formatChallenge(error: OidcGuardError): string {
  let challenge = `Bearer realm=${quote(error.realm ?? 'api')}`
  if (error.bearerError === undefined) return challenge
  challenge += `, error=${quote(error.bearerError)}, error_description=${quote(error.message)}`
  if (error.scope !== undefined && error.scope.length > 0) {
    challenge += `, scope=${quote(error.scope.join(' '))}`
  }
  return challenge
}
