import { jwtVerify, type CryptoKey, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose'
import { buildAuthContext } from './auth-context.js'
import { createClaimRules } from './claim-mapping.js'
import { compactJwsProblem, jsonMembersProblem } from './compact-jws.js'
import { InvalidTokenError, isOidcGuardError } from './errors.js'
import { RemoteKeySet } from './key-set.js'
import type { ResolvedAuthenticateOptions, ResolvedIssuerOptions } from './options.js'
import type { AuthContext, TokenClaims } from './types.js'

/** Verifies tokens of one concrete issuer (one tenant of a template counts as one issuer). */
export interface IssuerVerifier {
  verify(token: string): Promise<AuthContext>
  /** Keys held in this issuer's key set. */
  keyCount(): number
  clear(): void
}

/** A concrete issuer: the configured one, or a template filled in for one tenant. */
export interface ConcreteIssuer {
  readonly options: ResolvedIssuerOptions
  readonly issuer: string
  readonly audience: readonly string[]
  readonly jwksUri: string | undefined
  /** The tenant filled into a template. */
  readonly tenant?: string
}

// RFC 9068 §2.1 / RFC 8725 §3.11: explicit typing; `JWT` and none stay accepted by default
// because most providers (Auth0, Keycloak, Entra ID, Cognito) still issue them.
const DEFAULT_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt', 'application/jwt'])
const STRICT_TYPES = new Set(['at+jwt', 'application/at+jwt'])

// Descriptions are fixed sentences: the claim names come from this list, never from the token.
export const DESCRIPTIONS = {
  iss: 'The access token was issued by another issuer',
  aud: 'The access token is not meant for this audience',
  nbf: 'The access token is not valid yet',
  iat: 'The access token has an invalid issue time',
  exp: 'The access token has an invalid expiry',
  typ: 'The access token type is not accepted',
} as const

function describeJoseError(error: { code?: unknown; claim?: unknown; reason?: unknown }): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return error.claim === 'iat' ? 'The access token is too old' : 'The access token expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (error.reason === 'missing') return 'The access token lacks a required claim'
      return DESCRIPTIONS[error.claim as keyof typeof DESCRIPTIONS] ?? 'The access token has an invalid claim'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The access token signature is invalid'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The access token algorithm is not accepted'
    default:
      return 'The access token is malformed'
  }
}

/**
 * Verifies one issuer's tokens: signature against its keys, then `iss`, `aud`, `exp`, `nbf`,
 * `iat` (with `maxTokenAge`), `typ`, required claims and the algorithm allowlist, all through
 * jose. Keys are never taken from the token (`jku`, `x5u`, `jwk`, `x5c` are ignored); unknown
 * `crit` and unencoded payloads are refused.
 */
export function createIssuerVerifier(
  concrete: ConcreteIssuer,
  common: ResolvedAuthenticateOptions,
  onKeysRemoved: () => void,
): IssuerVerifier {
  const { options, issuer, audience } = concrete
  const { realm } = common
  const { secret } = options
  const rules = createClaimRules(options.claims, options.rolesClaim)
  const keySet = new RemoteKeySet({
    issuer,
    jwksUri: concrete.jwksUri,
    fetch: common.fetch ?? globalThis.fetch,
    timeoutDuration: common.timeoutDuration,
    maxResponseSize: common.maxResponseSize,
    cooldownDuration: common.cooldownDuration,
    cacheMaxAge: common.cacheMaxAge,
    maxStaleAge: common.maxStaleAge,
    maxKeys: common.maxKeys,
    realm,
    onKeysRemoved,
  })
  // HMAC keys imported once per algorithm: importing on every verification costs more than the MAC.
  const hmacKeys = new Map<string, Promise<CryptoKey>>()
  function hmacKey(alg: string, secret: Uint8Array): Promise<CryptoKey> {
    let imported = hmacKeys.get(alg)
    if (imported === undefined) {
      const hash = `SHA-${alg.slice(2)}`
      imported = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['verify'])
      hmacKeys.set(alg, imported)
    }
    return imported
  }

  const acceptedTypes = options.profile === 'strict' ? STRICT_TYPES : DEFAULT_TYPES
  const typeRequired = options.profile === 'strict'

  function resolveKey(header: ProtectedHeaderParameters) {
    const { typ } = header
    if (typ === undefined ? typeRequired : typeof typ !== 'string' || !acceptedTypes.has(typ.toLowerCase())) {
      throw new InvalidTokenError(DESCRIPTIONS.typ, { realm })
    }
    if (secret !== undefined && header.alg?.startsWith('HS')) return hmacKey(header.alg, secret)
    return keySet.getKey(header)
  }

  const verifyOptions: JWTVerifyOptions = {
    issuer,
    // Cognito access tokens carry no `aud`; their audience is `client_id`, checked below.
    audience: rules.audienceFromClientId ? undefined : [...audience],
    algorithms: [...options.algorithms],
    clockTolerance: options.clockTolerance,
    maxTokenAge: options.maxTokenAge,
    requiredClaims: [...options.requiredClaims],
  }

  const { clockTolerance, maxTokenLifetime } = options

  // Checks jose leaves to us, after the signature: they read only the verified claims.
  function checkClaims(claims: TokenClaims, typ: unknown): void {
    if (rules.audienceFromClientId && !audience.includes(claims.client_id as string)) {
      throw new InvalidTokenError(DESCRIPTIONS.aud, { realm })
    }
    // OIDC Core §3.1.3.6/§3.3.2.11: hash claims exist only in ID tokens (RFC 8725 §3.11).
    const idToken = claims.at_hash !== undefined || claims.c_hash !== undefined || claims.s_hash !== undefined
    const wrongKind = rules.check(claims) ?? (idToken && typ !== 'at+jwt' ? 'The token is not an access token' : undefined)
    if (wrongKind !== undefined) throw new InvalidTokenError(wrongKind, { realm })
    const now = Date.now() / 1000
    // jose checks `iat` only with maxTokenAge; a token issued in the future is never valid.
    if (typeof claims.iat === 'number' && claims.iat > now + clockTolerance) {
      throw new InvalidTokenError(DESCRIPTIONS.iat, { realm })
    }
    if (maxTokenLifetime !== undefined && (claims.exp as number) - (claims.iat ?? now) > maxTokenLifetime) {
      throw new InvalidTokenError('The access token lives longer than accepted', { realm })
    }
  }

  return {
    async verify(token) {
      if (compactJwsProblem(token) !== undefined || jsonMembersProblem(token) !== undefined) {
        throw new InvalidTokenError('The access token is malformed', { realm })
      }
      let claims: TokenClaims
      let typ: unknown
      try {
        const result = await jwtVerify(token, resolveKey, verifyOptions)
        claims = result.payload as TokenClaims
        typ = result.protectedHeader.typ?.toLowerCase().replace(/^application\//, '')
      } catch (error) {
        if (isOidcGuardError(error)) throw error
        throw new InvalidTokenError(describeJoseError(error as object), { cause: error, realm })
      }
      checkClaims(claims, typ)
      return buildAuthContext(token, claims, rules.map(claims, concrete.tenant), realm)
    },
    keyCount: () => keySet.size,
    clear() {
      keySet.clear()
    },
  }
}
