import { hash } from 'node:crypto'
import { jwtVerify, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose'
import { LRUCache } from 'lru-cache'
import { buildAuthContext } from './auth-context.js'
import { InvalidTokenError, isOidcGuardError } from './errors.js'
import { RemoteKeySet } from './key-set.js'
import type { ResolvedAuthenticateOptions } from './options.js'
import type { AuthContext, TokenClaims } from './types.js'

/** Verifies access tokens for one issuer; see `createVerifier`. */
export interface Verifier {
  /** Verifies a token and returns its AuthContext; throws an `OidcGuardError`. */
  verify(token: string): Promise<AuthContext>
  /** Drops cached keys and verified tokens. */
  clear(): void
}

// RFC 9068 §2.1 / RFC 8725 §3.11: explicit typing; `JWT` and none stay accepted by default
// because most providers (Auth0, Keycloak, Entra ID, Cognito) still issue them.
const DEFAULT_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt', 'application/jwt'])
const STRICT_TYPES = new Set(['at+jwt', 'application/at+jwt'])

// Descriptions are fixed sentences: the claim names come from this list, never from the token.
const CLAIM_DESCRIPTIONS: Readonly<Record<string, string>> = {
  iss: 'The access token was issued by another issuer',
  aud: 'The access token is not meant for this audience',
  nbf: 'The access token is not valid yet',
  iat: 'The access token has an invalid issue time',
  exp: 'The access token has an invalid expiry',
  typ: 'The access token type is not accepted',
}

// crypto.hash (Node >= 20.12) hashes in one call, without a Hash object per request.
const sha256 = (token: string): string => hash('sha256', token, 'base64url')

function describeJoseError(error: { code?: unknown; claim?: unknown; reason?: unknown }): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return error.claim === 'iat' ? 'The access token is too old' : 'The access token expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (error.reason === 'missing') return 'The access token lacks a required claim'
      return CLAIM_DESCRIPTIONS[error.claim as string] ?? 'The access token has an invalid claim'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The access token signature is invalid'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The access token algorithm is not accepted'
    default:
      return 'The access token is malformed'
  }
}

/**
 * Creates the verifier: signature against the issuer's keys, then `iss`, `aud`, `exp`, `nbf`,
 * `iat` (with `maxTokenAge`), `typ`, required claims and the algorithm allowlist, all through
 * jose. Keys are never taken from the token (`jku`, `x5u`, `jwk`, `x5c` are ignored); unknown
 * `crit` and unencoded payloads are refused.
 *
 * A verified token is remembered (keyed by its SHA-256, never past its `exp`), so a repeat skips
 * the signature check. The cache is dropped whenever the issuer stops publishing a key.
 */
export function createVerifier(options: ResolvedAuthenticateOptions): Verifier {
  const { realm, rolesClaim, secret } = options
  const tokenCache =
    options.tokenCacheSize > 0 && options.tokenCacheMaxAge > 0
      ? new LRUCache<string, AuthContext>({ max: options.tokenCacheSize })
      : undefined
  const keySet = new RemoteKeySet({
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutDuration: options.timeoutDuration,
    maxResponseSize: options.maxResponseSize,
    cooldownDuration: options.cooldownDuration,
    cacheMaxAge: options.cacheMaxAge,
    maxStaleAge: options.maxStaleAge,
    maxKeys: options.maxKeys,
    realm,
    onKeysRemoved: () => tokenCache?.clear(),
  })
  const acceptedTypes = options.profile === 'strict' ? STRICT_TYPES : DEFAULT_TYPES
  const typeRequired = options.profile === 'strict'

  function resolveKey(header: ProtectedHeaderParameters) {
    const { typ } = header
    if (typ === undefined ? typeRequired : typeof typ !== 'string' || !acceptedTypes.has(typ.toLowerCase())) {
      throw new InvalidTokenError(CLAIM_DESCRIPTIONS.typ as string, { realm })
    }
    if (secret !== undefined && header.alg?.startsWith('HS')) return secret
    return keySet.getKey(header)
  }

  const verifyOptions: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: [...options.audience],
    algorithms: [...options.algorithms],
    clockTolerance: options.clockTolerance,
    maxTokenAge: options.maxTokenAge,
    requiredClaims: [...options.requiredClaims],
  }

  async function verifyUncached(token: string): Promise<AuthContext> {
    let payload: TokenClaims
    try {
      payload = (await jwtVerify(token, resolveKey, verifyOptions)).payload as TokenClaims
    } catch (error) {
      if (isOidcGuardError(error)) throw error
      throw new InvalidTokenError(describeJoseError(error as object), { cause: error, realm })
    }
    return buildAuthContext(token, payload, rolesClaim, realm)
  }

  return {
    async verify(token) {
      if (tokenCache === undefined) return verifyUncached(token)
      const key = sha256(token)
      const cached = tokenCache.get(key)
      if (cached !== undefined) {
        if (cached.expiresAt * 1000 > Date.now()) return cached
        tokenCache.delete(key)
      }
      const auth = await verifyUncached(token)
      const ttl = Math.min(auth.expiresAt * 1000 - Date.now(), options.tokenCacheMaxAge)
      if (ttl > 0) tokenCache.set(key, auth, { ttl })
      return auth
    },
    clear() {
      tokenCache?.clear()
      keySet.clear()
    },
  }
}
