import { DESCRIPTIONS } from '../errors/reasons.js'
import type { ClaimPreset } from '../claims/claim-mapping.js'
import type { TokenClaims } from './auth-context.js'

/**
 * The verification rules a provider adds to RFC 9068: where its audience is, and how it marks
 * tokens that are not access tokens. Claim mapping (`src/claims/`) only says which claims mean
 * what; every rule that accepts or refuses a token lives here or in the issuer verifier.
 */
export interface ProviderProfile {
  /** Cognito: access tokens carry no `aud`; the audience is matched against `client_id`. */
  readonly audienceFromClientId: boolean
  /**
   * Returns a reason when the token is not an access token, by every signal the provider
   * gives. `typ` is the header type, lowercased, without `application/`.
   */
  tokenKind(claims: TokenClaims, typ: string | undefined): string | undefined
}

// OIDC Core §3.1.3.6 / §3.3.2.11: hash claims exist only in ID tokens (RFC 8725 §3.11). An
// `at+jwt` header says otherwise explicitly, so it wins.
function hasIdTokenHash(claims: TokenClaims, typ: string | undefined): boolean {
  return (
    typ !== 'at+jwt' &&
    (claims.at_hash !== undefined || claims.c_hash !== undefined || claims.s_hash !== undefined)
  )
}

// Markers some providers put in the payload: Cognito `token_use` (`id`, `access`), Keycloak
// `typ` (`Bearer`, `ID`, `Refresh`, `Logout`). Any value naming another kind of token refuses.
const NOT_ACCESS_TYPES = new Set(['id', 'refresh', 'logout', 'offline'])

function genericKind(claims: TokenClaims, typ: string | undefined): string | undefined {
  if (hasIdTokenHash(claims, typ)) return DESCRIPTIONS.kind
  if (claims.token_use !== undefined && claims.token_use !== 'access') return DESCRIPTIONS.kind
  const payloadType = claims.typ
  if (payloadType !== undefined) {
    if (typeof payloadType !== 'string' || NOT_ACCESS_TYPES.has(payloadType.toLowerCase()))
      return DESCRIPTIONS.kind
  }
  return undefined
}

const GENERIC: ProviderProfile = Object.freeze({
  audienceFromClientId: false,
  tokenKind: genericKind,
})

const PROFILES: Partial<Record<ClaimPreset, ProviderProfile>> = {
  // Cognito signs ID and access tokens with the same keys: only `token_use: access` is one.
  cognito: Object.freeze({
    audienceFromClientId: true,
    tokenKind: (claims: TokenClaims, typ: string | undefined) =>
      claims.token_use !== 'access' ? DESCRIPTIONS.kind : genericKind(claims, typ),
  }),
  // Keycloak marks the tokens it signs in the payload: an access token is `typ: Bearer`; an ID
  // token (`ID`), which may carry the API as its audience too, or any other kind is refused.
  keycloak: Object.freeze({
    audienceFromClientId: false,
    tokenKind: (claims: TokenClaims, typ: string | undefined) =>
      claims.typ !== undefined && claims.typ !== 'Bearer'
        ? DESCRIPTIONS.kind
        : genericKind(claims, typ),
  }),
}

/** The verification profile of a claims preset (`generic` for a custom mapping). */
export function providerProfile(preset: ClaimPreset): ProviderProfile {
  return PROFILES[preset] ?? GENERIC
}
