import { resolveOptions, type AuthenticateOptions } from '../config/options.js'
import { ConfigurationError } from '../errors/errors.js'
import type { Guard } from '../guards/guard.js'
import { scopesOf } from '../guards/guard-scopes.js'
import { DPOP_DEFAULT_ALGORITHMS } from './options.js'

const isGuard = (value: unknown): value is Guard =>
  (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
  typeof (value as Guard).descriptor === 'object'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * RFC 9728 §3.1: the metadata URL inserts the well-known path between the host and the path of
 * the resource identifier (`https://api.example.com/orders` →
 * `https://api.example.com/.well-known/oauth-protected-resource/orders`).
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}${resourceMetadataPath(resource)}`
}

function resourceMetadataPath(resource: string): string {
  const { pathname } = new URL(resource)
  return pathname === '/' ? WELL_KNOWN : `${WELL_KNOWN}${pathname.replace(/\/$/, '')}`
}

/** The RFC 9728 §2 metadata document. */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers?: string[]
  scopes_supported?: string[]
  bearer_methods_supported: string[]
  resource_name?: string
  resource_documentation?: string
  dpop_signing_alg_values_supported?: string[]
  dpop_bound_access_tokens_required: boolean
  tls_client_certificate_bound_access_tokens: boolean
}

/** An HTTP answer an adapter sends as it is. */
export interface MetadataResponse {
  readonly status: 200
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Serves the protected resource metadata of one configuration; see `createResourceMetadata`. */
export interface ResourceMetadata {
  /** The path it is served at, e.g. `/.well-known/oauth-protected-resource`. */
  readonly path: string
  /**
   * Adds the scopes named by guards to `scopes_supported` (unless configured explicitly).
   * Takes anything a route holds: guards, lists of hooks; what is not a guard is skipped.
   */
  addGuards(...candidates: unknown[]): void
  /** The 200 answer with the document. */
  response(): MetadataResponse
  /** The document as it stands. */
  document(): ProtectedResourceMetadata
  /** The answer for a GET or HEAD of `path` (query ignored), else undefined. */
  respond(method: string, url: string | undefined): MetadataResponse | undefined
}

/**
 * Builds the OAuth 2.0 Protected Resource Metadata (RFC 9728) of the options given to
 * `authenticate()`: `resource` and the rest from `resourceMetadata`, the authorization servers
 * from the issuers, the bearer methods from `tokenLocations`, and the DPoP and mTLS settings.
 * `scopes_supported` is the configured list, else the scopes of the guards passed here.
 * @throws ConfigurationError without `resourceMetadata` in the options.
 * @example
 * const metadata = createResourceMetadata(options, requireScope('orders:read'))
 * metadata.respond('GET', '/.well-known/oauth-protected-resource') // { status: 200, … }
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function createResourceMetadata(
  input: AuthenticateOptions,
  ...guards: Guard[]
): ResourceMetadata {
  const options = resolveOptions(input)
  const { resourceMetadata: config, dpop, mtls } = options
  if (config === undefined) {
    throw new ConfigurationError('Protected resource metadata needs the "resourceMetadata" option')
  }
  const path = resourceMetadataPath(config.resource)
  const scopes = new Set(config.scopesSupported ?? scopesOf(...guards))
  const servers =
    config.authorizationServers ??
    options.issuers.filter((issuer) => !issuer.isTemplate).map((issuer) => issuer.issuer)
  let cached: MetadataResponse | undefined

  function document(): ProtectedResourceMetadata {
    return {
      resource: config!.resource,
      ...(servers.length > 0 && { authorization_servers: [...servers] }),
      ...(scopes.size > 0 && { scopes_supported: [...scopes] }),
      bearer_methods_supported: [...options.tokenLocations],
      ...(config!.resourceName !== undefined && { resource_name: config!.resourceName }),
      ...(config!.resourceDocumentation !== undefined && {
        resource_documentation: config!.resourceDocumentation,
      }),
      ...(dpop !== undefined && {
        dpop_signing_alg_values_supported: [...(dpop.algorithms ?? DPOP_DEFAULT_ALGORITHMS)],
      }),
      dpop_bound_access_tokens_required: dpop?.required === true,
      tls_client_certificate_bound_access_tokens: mtls !== undefined,
    }
  }

  return {
    path,
    addGuards(...candidates) {
      if (config.scopesSupported !== undefined) return
      const before = scopes.size
      for (const scope of scopesOf(...candidates.flat().filter(isGuard))) scopes.add(scope)
      if (scopes.size !== before) cached = undefined
    },
    document,
    respond(method, url) {
      if (method !== 'GET' && method !== 'HEAD') return undefined
      const query = url?.indexOf('?') ?? -1
      return (query === -1 ? url : url?.slice(0, query)) === path ? this.response() : undefined
    },
    response() {
      cached ??= Object.freeze({
        status: 200,
        headers: Object.freeze({
          'Content-Type': 'application/json',
          'Cache-Control': 'public, max-age=3600',
        }),
        body: JSON.stringify(document()),
      })
      return cached
    },
  }
}
