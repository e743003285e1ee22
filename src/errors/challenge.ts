import type { OidcGuardError } from './errors.js'

// RFC 6750 §3: auth-param values are quoted-strings; `"` and `\` would end or escape them.
const UNSAFE_QUOTED = /["\\\r\n]/g

function quote(value: string): string {
  return `"${value.replace(UNSAFE_QUOTED, '')}"`
}

/**
 * What the `WWW-Authenticate` header offers beyond a single Bearer challenge: the authenticator
 * sets it on the errors it throws, from its configuration and the scheme the request used.
 */
export interface ChallengeOptions {
  /** Offer a `Bearer` challenge (RFC 6750). */
  readonly bearer: boolean
  /** Offer a `DPoP` challenge with these `algs` (RFC 9449 §7.1); undefined: no DPoP challenge. */
  readonly dpopAlgs?: string
  /** The scheme whose challenge carries the error (the one the request used). Default Bearer. */
  readonly scheme?: 'Bearer' | 'DPoP'
  /** Absolute URL of the protected resource metadata (RFC 9728 §5.1). */
  readonly resourceMetadata?: string
}

// The error attributes: RFC 6750 §3, RFC 9470 §3 (acr_values, max_age).
function errorParams(error: OidcGuardError): string {
  if (error.bearerError === undefined) return ''
  let params = `, error=${quote(error.bearerError)}, error_description=${quote(error.message)}`
  if (error.scope !== undefined && error.scope.length > 0) {
    params += `, scope=${quote(error.scope.join(' '))}`
  }
  const { acrValues, maxAge } = error as { acrValues?: readonly string[]; maxAge?: number }
  if (acrValues !== undefined) params += `, acr_values=${quote(acrValues.join(' '))}`
  if (maxAge !== undefined) params += `, max_age=${quote(String(maxAge))}`
  return params
}

/**
 * Formats the `WWW-Authenticate` header for an error: one challenge per offered scheme
 * (`DPoP` first when offered, then `Bearer`), the error attributes on the scheme the request
 * used, and `resource_metadata` on each.
 *
 * RFC 6750 §3.1: a request without credentials gets challenges with no `error`; every other
 * failure names its error code, a fixed description and, for `insufficient_scope`, the scopes.
 * RFC 9449 §7.1: DPoP errors (`invalid_dpop_proof`, `use_dpop_nonce`) go in the `DPoP` challenge,
 * which lists the accepted `algs`. RFC 9470 §3: step-up adds `acr_values` and `max_age`.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function formatChallenge(error: OidcGuardError): string {
  const realm = `realm=${quote(error.realm ?? 'api')}`
  const options = error.challenge
  if (options === undefined) return `Bearer ${realm}${errorParams(error)}`
  const metadata =
    options.resourceMetadata === undefined
      ? ''
      : `, resource_metadata=${quote(options.resourceMetadata)}`
  const dpopError =
    error.bearerError === 'invalid_dpop_proof' || error.bearerError === 'use_dpop_nonce'
  const errorOnDpop =
    options.dpopAlgs !== undefined && (dpopError || options.scheme === 'DPoP' || !options.bearer)
  const challenges: string[] = []
  if (options.dpopAlgs !== undefined) {
    challenges.push(
      `DPoP ${realm}${errorOnDpop ? errorParams(error) : ''}, algs=${quote(options.dpopAlgs)}${metadata}`,
    )
  }
  if (options.bearer || challenges.length === 0) {
    challenges.push(`Bearer ${realm}${errorOnDpop ? '' : errorParams(error)}${metadata}`)
  }
  return challenges.join(', ')
}
