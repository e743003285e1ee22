import { readClaim, toStringList } from './claims.js'
import { InvalidTokenError } from './errors.js'
import type { AuthContext, TokenClaims } from './types.js'

const STRING_CLAIMS = ['iss', 'sub', 'jti', 'client_id', 'azp'] as const

/**
 * Builds the AuthContext once per verified token: scopes and roles are parsed here, never per
 * guard. Registered claims of the wrong type make the token invalid rather than being ignored.
 */
export function buildAuthContext(
  token: string,
  claims: TokenClaims,
  rolesClaim: string,
  realm: string,
): AuthContext {
  for (const name of STRING_CLAIMS) {
    const value = claims[name]
    if (value !== undefined && typeof value !== 'string') {
      throw new InvalidTokenError(`The access token has an invalid ${name} claim`, { realm })
    }
  }
  // jose has checked `aud` against the configured audience: it is a string or a list.
  const aud = claims.aud as string | string[]
  const scope = claims.scope !== undefined ? claims.scope : claims.scp
  return Object.freeze({
    token,
    subject: claims.sub,
    issuer: claims.iss as string,
    audience: Object.freeze(typeof aud === 'string' ? [aud] : [...aud]),
    clientId: (claims.client_id ?? claims.azp) as string | undefined,
    scopes: Object.freeze(toStringList(scope)),
    roles: Object.freeze(toStringList(readClaim(claims, rolesClaim))),
    expiresAt: claims.exp as number,
    claims: Object.freeze(claims),
  })
}
