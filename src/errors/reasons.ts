/**
 * Every sentence oidc-guard answers a request with, in one place. They are fixed: a claim name,
 * a key or a token never goes into one (RFC 6750 §3 `error_description` is shown to clients).
 */
export const DESCRIPTIONS = {
  malformed: 'The access token is malformed',
  alg: 'The access token algorithm is not accepted',
  signature: 'The access token signature is invalid',
  missing: 'The access token lacks a required claim',
  /** The name comes from our list of string-valued registered claims, never from the token. */
  claimType: (name: 'iss' | 'sub' | 'jti' | 'client_id' | 'azp') =>
    `The access token has an invalid ${name} claim`,
  iss: 'The access token was issued by another issuer',
  aud: 'The access token is not meant for this audience',
  exp: 'The access token has an invalid expiry',
  expired: 'The access token expired',
  nbf: 'The access token is not valid yet',
  iat: 'The access token has an invalid issue time',
  tooOld: 'The access token is too old',
  lifetime: 'The access token lives longer than accepted',
  typ: 'The access token type is not accepted',
  kind: 'The token is not an access token',
  tenant: 'The access token names another tenant than its issuer',
  mapping: 'The access token claims could not be mapped',
  noKey: 'No key of the issuer matches the access token',
  tooLarge: 'The access token is too large',
  noCredentials: 'Authentication required',
  emptyBearer: 'The Authorization header has no bearer token',
  syntax: 'The bearer token is not in b64token syntax',
  paramOnce: 'The access_token parameter must appear once',
  oneHeader: 'Only one Authorization header is allowed',
  oneMethod: 'The token was sent in more than one way',
  insufficientScope: 'The access token lacks the required scope',
  forbidden: 'The access token does not grant access to this resource',
  keysUnavailable: 'The signing keys are temporarily unavailable',
  tenantUnavailable: 'The tenant configuration is temporarily unavailable',
  // RFC 9449 (DPoP), RFC 8705 (mTLS), RFC 9470 (step-up)
  dpopMissing: 'The request has no DPoP proof',
  dpopOneHeader: 'Only one DPoP header is allowed',
  dpopMalformed: 'The DPoP proof is malformed',
  dpopTyp: 'The DPoP proof type must be dpop+jwt',
  dpopAlg: 'The DPoP proof algorithm is not accepted',
  dpopJwk: 'The DPoP proof must carry one public key in jwk',
  dpopSignature: 'The DPoP proof signature is invalid',
  dpopHtm: 'The DPoP proof is for another HTTP method',
  dpopHtu: 'The DPoP proof is for another URL',
  dpopIat: 'The DPoP proof is too old or issued in the future',
  dpopAth: 'The DPoP proof does not match the access token',
  dpopJti: 'The DPoP proof has no valid jti',
  dpopReplay: 'The DPoP proof was already used',
  dpopNonce: 'A fresh DPoP nonce is required',
  dpopKey: 'The DPoP proof key is not the key the access token is bound to',
  dpopUnbound: 'The access token is not bound to a DPoP key',
  dpopAsBearer: 'A DPoP-bound access token must be sent with the DPoP scheme',
  dpopRequired: 'A DPoP-bound access token is required',
  mtlsMismatch:
    'The client certificate does not match the certificate the access token is bound to',
  stepUpAcr: 'A stronger authentication is required',
  stepUpAge: 'A more recent authentication is required',
  replayStoreUnavailable: 'The DPoP replay check is temporarily unavailable',
  // Revocation (issue 12): introspection, denylist, permissions
  revoked: 'The access token was revoked',
  inactive: 'The access token is not active',
  disabled: 'The subject of the access token is disabled',
  introspectionUnavailable: 'The token introspection endpoint is temporarily unavailable',
  denylistUnavailable: 'The revocation list is temporarily unavailable',
  permissionsUnavailable: 'The permission store is temporarily unavailable',
} as const

const CLAIM_TYPE_NAMES = ['iss', 'sub', 'jti', 'client_id', 'azp'] as const
const snakeCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)

// Built once: sentence → stable code. The sentences are fixed, so the set of codes is bounded.
const CODES = new Map<string, string>()
for (const [key, value] of Object.entries(DESCRIPTIONS)) {
  if (typeof value === 'string') CODES.set(value, snakeCase(key))
  else for (const name of CLAIM_TYPE_NAMES) CODES.set(value(name), `claim_type_${name}`)
}

/**
 * A short, stable code for why an oidc-guard error refused a request (`expired`, `signature`,
 * `no_key`, `no_credentials`, `insufficient_scope`, `forbidden`, …): one per fixed reason
 * sentence, `other` for a message that is not one of ours. The set is bounded, so it is safe
 * as a metric attribute or a log field to group by.
 * @example reasonCode(new InvalidTokenError('The access token expired')) // 'expired'
 */
export function reasonCode(error: { readonly message: string }): string {
  return CODES.get(error.message) ?? 'other'
}
