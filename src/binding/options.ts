import { z } from 'zod'
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '../jose/algorithms.js'
import type { DpopReplayStore } from './replay-store.js'

/**
 * DPoP (RFC 9449) at the resource server. Without this group the `DPoP` scheme is not accepted,
 * and a DPoP-bound token (`cnf.jkt`) is still refused when sent as Bearer (§7.2).
 * @example dpop: { required: true, nonce: { secret: process.env.DPOP_NONCE_SECRET } }
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
export interface DpopOptions {
  /**
   * `false` (default): accept both schemes; a DPoP-bound token must come with `DPoP`.
   * `true`: every token must be DPoP-bound. A list of issuers: tokens of those issuers must be.
   * Routes can require it too with the `requireDpop()` guard.
   */
  required?: boolean | string[]
  /**
   * Proof algorithms accepted (asymmetric only: `none` and HS* can never be listed). Default:
   * ES256, ES384, ES512, EdDSA, Ed25519, PS256, PS384, PS512, RS256.
   */
  algorithms?: AsymmetricAlgorithm[]
  /** Oldest accepted proof (`iat`), in seconds. Default 60. */
  maxAge?: number
  /** Allowed clock skew for a proof's `iat`, in seconds. Default 5. */
  clockTolerance?: number
  /**
   * Server nonces (RFC 9449 §8, §9): `true`, or settings. A nonce is the HMAC of a time window,
   * so instances that share `secret` agree on it without talking to each other.
   */
  nonce?: boolean | DpopNonceOptions
  /**
   * Where used proof `jti`s are remembered. Default: in memory, per process
   * (`replayCacheSize` entries). Use the Redis store of `oidc-guard/redis` with several instances.
   */
  replayStore?: DpopReplayStore
  /** Proofs remembered by the default in-memory replay store, in entries. Default 100000. */
  replayCacheSize?: number
  /**
   * The public origin the proofs' `htu` must name, e.g. `https://api.example.com`. Default: the
   * request's own scheme and `Host`.
   */
  origin?: string
  /**
   * Peer addresses (exact, as `socket.remoteAddress` shows them) whose `X-Forwarded-Proto` and
   * `X-Forwarded-Host` are believed when building the request URL. Default: none (never trusted).
   */
  trustedProxies?: string[]
}

/** Server nonce settings (RFC 9449 §9). */
export interface DpopNonceOptions {
  /** HMAC key shared by instances, at least 32 bytes. Default: random per process. */
  secret?: string | Uint8Array
  /** How often the nonce changes, in milliseconds. Default 300000. */
  rotationInterval?: number
  /** How long the previous nonce stays accepted after a change, in milliseconds. Default 60000. */
  gracePeriod?: number
}

/**
 * Certificate-bound access tokens (RFC 8705 §3). A token with `cnf.x5t#S256` is always checked
 * against the TLS client certificate of the connection; this group adds a certificate forwarded
 * by a TLS-terminating proxy.
 * @example mtls: { certificateHeader: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] }
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-3
 */
export interface MtlsOptions {
  /**
   * Request header holding the client certificate as set by the proxy: PEM (also URL-encoded,
   * nginx `$ssl_client_escaped_cert`), base64 DER, or Envoy's `x-forwarded-client-cert`.
   */
  certificateHeader?: string
  /** Peer addresses allowed to set `certificateHeader`; from any other the header is ignored. */
  trustedProxies?: string[]
}

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document served at
 * `/.well-known/oauth-protected-resource` and named by `resource_metadata` in 401 challenges.
 * @example resourceMetadata: { resource: 'https://api.example.com' }
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface ResourceMetadataOptions {
  /** The resource identifier: an https (or http on loopback) URL without query or fragment. */
  resource: string
  /** Authorization servers' issuer identifiers. Default: the configured (non-template) issuers. */
  authorizationServers?: string[]
  /** Scopes used by this resource. Default: those named by the guards the adapter sees. */
  scopesSupported?: string[]
  /** Human-readable name (`resource_name`). */
  resourceName?: string
  /** URL of developer documentation (`resource_documentation`). */
  resourceDocumentation?: string
}

/** The default DPoP proof algorithms: the asymmetric table minus RS384/RS512 (rarely used). */
export const DPOP_DEFAULT_ALGORITHMS: readonly AsymmetricAlgorithm[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
])

const positive = z.number().positive()
const positiveInt = z.number().int().positive()
const address = z.string().min(1)
const secret = z
  .union([
    z.string(),
    z.custom<Uint8Array>(
      (value) => value instanceof Uint8Array,
      'Expected a string or a Uint8Array',
    ),
  ])
  .refine(
    (value) => (typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength) >= 32,
    'Expected at least 32 bytes',
  )
const url = (value: string) => /^https?:\/\//.test(value) && URL.canParse(value)

/** The zod schemas of the binding option groups, spread into the options schema. */
export const bindingFields = {
  dpop: z
    .strictObject({
      required: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).optional(),
      algorithms: z
        .array(z.enum(ASYMMETRIC_ALGORITHMS as [AsymmetricAlgorithm, ...AsymmetricAlgorithm[]]))
        .min(1)
        .optional(),
      maxAge: positive.max(3600).optional(),
      clockTolerance: z.number().nonnegative().max(300).optional(),
      nonce: z
        .union([
          z.boolean(),
          z.strictObject({
            secret: secret.optional(),
            rotationInterval: positiveInt.min(1000).optional(),
            gracePeriod: z.number().int().nonnegative().optional(),
          }),
        ])
        .optional(),
      replayStore: z
        .custom<DpopReplayStore>(
          (value) =>
            value !== null &&
            typeof value === 'object' &&
            typeof (value as DpopReplayStore).use === 'function',
          'Expected a DpopReplayStore (an object with use())',
        )
        .optional(),
      replayCacheSize: positiveInt.optional(),
      origin: z
        .string()
        .refine((value) => url(value) && new URL(value).origin === value, 'Expected an origin')
        .optional(),
      trustedProxies: z.array(address).optional(),
    })
    .optional(),
  mtls: z
    .strictObject({
      certificateHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'Expected a header name')
        .optional(),
      trustedProxies: z.array(address).optional(),
    })
    .refine(
      (value) => (value.certificateHeader === undefined) === (value.trustedProxies === undefined),
      'certificateHeader and trustedProxies go together',
    )
    .optional(),
  resourceMetadata: z
    .strictObject({
      resource: z
        .string()
        .refine(
          (value) => url(value) && !value.includes('#') && !value.includes('?'),
          'Expected an http(s) URL without query or fragment',
        ),
      authorizationServers: z.array(z.string().refine(url, 'Expected a URL')).optional(),
      scopesSupported: z.array(z.string().min(1)).optional(),
      resourceName: z.string().min(1).optional(),
      resourceDocumentation: z.string().refine(url, 'Expected a URL').optional(),
    })
    .optional(),
}

/** The binding option groups of `AuthenticateOptions`. */
export interface BindingOptions {
  /** DPoP (RFC 9449). Default: off (the `DPoP` scheme is refused). */
  dpop?: DpopOptions
  /** Certificate-bound tokens from a TLS-terminating proxy (RFC 8705 §3). */
  mtls?: MtlsOptions
  /** Protected Resource Metadata (RFC 9728). Default: none served, none in challenges. */
  resourceMetadata?: ResourceMetadataOptions
}

/** The binding option groups after validation (the raw groups: defaults apply in the step). */
export interface ResolvedBindingOptions {
  readonly dpop: Readonly<DpopOptions> | undefined
  readonly mtls: Readonly<MtlsOptions> | undefined
  readonly resourceMetadata: Readonly<ResourceMetadataOptions> | undefined
}
