import type { MappedClaims } from './claim-mapping.js'
import { InvalidTokenError } from './errors.js'
import type { AuthContext, TokenClaims } from './types.js'

const STRING_CLAIMS = ['iss', 'sub', 'jti', 'client_id', 'azp'] as const

/**
 * Builds the AuthContext once per verified token: scopes, roles and the rest are mapped here,
 * never per guard. Registered claims of the wrong type make the token invalid rather than
 * being ignored.
 */
export function buildAuthContext(
  token: string,
  claims: TokenClaims,
  mapped: MappedClaims,
  realm: string,
): AuthContext {
  for (const name of STRING_CLAIMS) {
    const value = claims[name]
    if (value !== undefined && typeof value !== 'string') {
      throw new InvalidTokenError(`The access token has an invalid ${name} claim`, { realm })
    }
  }
  const aud = claims.aud
  return Object.freeze({
    token,
    subject: claims.sub,
    issuer: claims.iss as string,
    audience: Object.freeze(typeof aud === 'string' ? [aud] : Array.isArray(aud) ? [...aud] : []),
    clientId: mapped.clientId,
    scopes: Object.freeze(mapped.scopes),
    roles: Object.freeze(mapped.roles),
    groups: Object.freeze(mapped.groups),
    permissions: Object.freeze(mapped.permissions),
    tenant: mapped.tenant,
    email: mapped.email,
    emailVerified: mapped.emailVerified,
    name: mapped.name,
    expiresAt: claims.exp as number,
    claims: Object.freeze(claims),
  })
}
