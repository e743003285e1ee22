import { createClaimRules } from '../claims/claim-mapping.js'
import { CLAIM_PRESETS, type ClaimPreset } from '../claims/claim-mapping.js'
import { buildAuthContext, type AuthContext, type TokenClaims } from '../verify/auth-context.js'
import type { AuthRequest } from '../http/auth-request.js'
import { readText, UsageError } from './io.js'

/**
 * An AuthContext from claims, mapped like the authenticator maps a verified token. The CLI
 * never verifies a signature: it explains what a policy does with these claims.
 */
export function authFromClaims(claims: Record<string, unknown>, preset = 'generic'): AuthContext {
  if (!(CLAIM_PRESETS as readonly string[]).includes(preset)) {
    throw new UsageError(`--claims must be one of ${CLAIM_PRESETS.join(', ')}`)
  }
  const full = { iss: 'https://issuer.invalid', exp: 0, ...claims } as TokenClaims
  const mapped = createClaimRules(preset as ClaimPreset).map(full)
  return buildAuthContext('', full, mapped, 'api')
}

/** Reads `--token`: a compact JWT (its payload, unverified) or a JSON file of claims. */
export async function readClaims(token: string): Promise<Record<string, unknown>> {
  const parts = token.split('.')
  // A JWS header is a JSON object: its base64url starts with `eyJ` (`{"`).
  if (/^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token)) {
    try {
      return JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'))
    } catch {
      throw new UsageError('--token is not a JWT with a JSON payload')
    }
  }
  try {
    return JSON.parse(await readText(token))
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${token} is not JSON`)
  }
}

/** What a test case or `explain` says about the request. */
export interface RequestSpec {
  method?: string
  path?: string
  ip?: string
  headers?: Record<string, string>
  query?: Record<string, string>
}

/** `'POST /orders/7/refund'` or an object, as an AuthRequest. */
export function requestFrom(spec: string | RequestSpec | undefined): AuthRequest | undefined {
  if (spec === undefined) return undefined
  const object: RequestSpec =
    typeof spec === 'string'
      ? { method: spec.split(' ')[0], path: spec.split(' ').slice(1).join(' ') }
      : spec
  const headers = Object.fromEntries(
    Object.entries(object.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]),
  )
  return {
    method: (object.method ?? 'GET').toUpperCase(),
    path: object.path ?? '/',
    headers,
    query: object.query ?? {},
    params: {},
    socket: { remoteAddress: object.ip },
  }
}
