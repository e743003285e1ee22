import { isAllowedTransport, isDowngrade } from './transport-policy.js'
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
 * @throws FetchFailure (`resource: 'discovery'`) when neither document can be had or is usable.
 */
export async function discoverJwksUri(
  issuer: string,
  limits: FetchLimits,
  signal?: AbortSignal,
): Promise<string> {
  let lastFailure: unknown
  for (const url of discoveryUrls(issuer)) {
    try {
      const { json } = await fetchJson(url, limits, 'discovery', signal)
      const metadata = json as { issuer?: unknown; jwks_uri?: unknown } | null
      const where = { resource: 'discovery', url } as const
      if (metadata === null || typeof metadata !== 'object' || metadata.issuer !== issuer) {
        throw new FetchFailure(
          'invalid-document',
          'discovery document is for another issuer',
          where,
        )
      }
      const jwksUri = metadata.jwks_uri
      if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri) || !URL.canParse(jwksUri)) {
        throw new FetchFailure(
          'invalid-document',
          'discovery document has no usable jwks_uri',
          where,
        )
      }
      // An https issuer never hands its keys to plain HTTP (a downgrade), opt-in or not.
      if (
        isDowngrade(issuer, jwksUri) ||
        !isAllowedTransport(jwksUri, limits.allowInsecureRequests === true)
      ) {
        throw new FetchFailure('insecure', 'discovery document downgrades jwks_uri to http', where)
      }
      return jwksUri
    } catch (failure) {
      lastFailure = failure
      // Only a missing document sends us to the next well-known location.
      if (!(failure instanceof FetchFailure && failure.kind === 'status')) break
    }
  }
  throw lastFailure
}
