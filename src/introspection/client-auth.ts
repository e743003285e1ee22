import { randomUUID } from 'node:crypto'
import { importJWK, SignJWT, type CryptoKey, type KeyObject } from 'jose'
import type { ClientAuthMethod, IntrospectionOptions } from './introspection-options.js'

/** Adds the client's credentials to one request: headers and form parameters. */
export type ClientAuthenticator = (
  body: URLSearchParams,
  headers: Record<string, string>,
) => Promise<void>

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')

/**
 * Builds the client authentication of the introspection request.
 * - `client_secret_basic`: `Authorization: Basic` (RFC 6749 §2.3.1);
 * - `client_secret_post`: `client_id` and `client_secret` in the form;
 * - `private_key_jwt`: a fresh 60-second assertion per request (RFC 7523 §2.2, OIDC Core §9),
 *   `aud` the issuer, a random `jti`.
 */
export function createClientAuth(
  options: IntrospectionOptions,
  issuer: string,
): { method: ClientAuthMethod; apply: ClientAuthenticator } {
  const method =
    options.clientAuthMethod ?? (options.privateKey ? 'private_key_jwt' : 'client_secret_basic')
  const { clientId, clientSecret = '' } = options
  if (method === 'client_secret_basic') {
    const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString(
      'base64',
    )
    return {
      method,
      apply: async (_body, headers) => {
        headers.authorization = `Basic ${credentials}`
      },
    }
  }
  if (method === 'client_secret_post') {
    return {
      method,
      apply: async (body) => {
        body.set('client_id', clientId)
        body.set('client_secret', clientSecret)
      },
    }
  }
  const jwk = options.privateKey as NonNullable<IntrospectionOptions['privateKey']>
  const alg = jwk.alg ?? 'RS256'
  let key: Promise<CryptoKey | KeyObject | Uint8Array> | undefined
  return {
    method,
    apply: async (body) => {
      key ??= importJWK(jwk, alg)
      const now = Math.floor(Date.now() / 1000)
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg, ...(jwk.kid !== undefined && { kid: jwk.kid }) })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(issuer)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(await key)
      body.set('client_id', clientId)
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      body.set('client_assertion', assertion)
    },
  }
}
