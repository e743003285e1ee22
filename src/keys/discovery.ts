import { fetchJson, FetchFailure, type FetchLimits } from './fetch-json.js'

/** The well-known URLs to try for an issuer, in order. */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  // OpenID Connect Discovery 1.0 §4: appended to the issuer.
  const openid = `${url.origin}${path}/.well-known/openid-configuration`
  // RFC 8414 §3.1: inserted between the host and the issuer's path.
  const oauth = `${url.origin}/.well-known/oauth-authorization-server${path}`
  return [openid, oauth]
}

/**
 * Finds the issuer's `jwks_uri` from its discovery document. The document's `issuer` must equal
 * the configured one (OIDC Discovery §4.3, RFC 8414 §3.3), so a document for another issuer
 * cannot redirect us to its keys.
 * @throws FetchFailure when neither document can be had or is usable.
 */
export async function discoverJwksUri(issuer: string, limits: FetchLimits): Promise<string> {
  let lastFailure: unknown
  for (const url of discoveryUrls(issuer)) {
    try {
      const { json } = await fetchJson(url, limits, 'discovery')
      const metadata = json as { issuer?: unknown; jwks_uri?: unknown } | null
      if (metadata === null || typeof metadata !== 'object' || metadata.issuer !== issuer) {
        throw new FetchFailure('invalid-json', 'discovery document is for another issuer')
      }
      const jwksUri = metadata.jwks_uri
      if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri) || !URL.canParse(jwksUri)) {
        throw new FetchFailure('invalid-json', 'discovery document has no usable jwks_uri')
      }
      return jwksUri
    } catch (failure) {
      lastFailure = failure
      // Only a missing document sends us to the next well-known location.
      if (!(failure instanceof FetchFailure && failure.reason === 'status')) break
    }
  }
  throw lastFailure
}
