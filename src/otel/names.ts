/**
 * Every metric, span and attribute name `oidc-guard/otel` emits, in one place. Names follow the
 * OpenTelemetry conventions: dotted lower case, durations in seconds, the general semantic
 * attributes (`http.*`, `url.*`, `server.*`, `error.type`, `enduser.id`) where one fits.
 */
export const METRICS = Object.freeze({
  /** Counter of decisions: authentications and guard evaluations, allowed or denied. */
  decisions: 'oidc_guard.decisions',
  /** Histogram of verifications that were not cache hits, in seconds. */
  verificationDuration: 'oidc_guard.verification.duration',
  /** Histogram of discovery, JWKS and introspection fetches, in seconds. */
  fetchDuration: 'oidc_guard.fetch.duration',
  /** Gauge of entries held per bounded cache. */
  cacheSize: 'oidc_guard.cache.size',
  /** Counter of verified-token cache lookups, by result. */
  cacheLookups: 'oidc_guard.cache.lookups',
  /** Gauge of the verified-token cache hit ratio since the previous collection (0…1). */
  cacheHitRatio: 'oidc_guard.cache.hit_ratio',
})

/** Span names: one per verification that is not a cache hit, one per remote fetch. */
export const SPANS = Object.freeze({
  verify: 'oidc_guard.verify',
  fetch: {
    discovery: 'oidc_guard.fetch.discovery',
    jwks: 'oidc_guard.fetch.jwks',
    introspection: 'oidc_guard.fetch.introspection',
  },
})

/** Attribute names. None of them ever holds a token or, by default, personal data. */
export const ATTRIBUTES = Object.freeze({
  /** `authenticate` (the token was checked) or `authorize` (a guard ran). */
  decisionType: 'oidc_guard.decision.type',
  /** `allow` or `deny`. */
  outcome: 'oidc_guard.outcome',
  /** Why a request was denied: a stable code from `reasonCode()` (`expired`, `signature`, …). */
  reason: 'oidc_guard.reason',
  /** The guard's description, e.g. `requireScope(orders:write)`: fixed when the route is built. */
  guard: 'oidc_guard.guard',
  /** The configured issuer; for an issuer template the template unless `includeTenants`. */
  issuer: 'oidc_guard.issuer',
  /** `discovery`, `jwks` or `introspection`. */
  fetchKind: 'oidc_guard.fetch.kind',
  /** `verified_tokens`, `issuers`, `keys` or `unknown_tenants`. */
  cache: 'oidc_guard.cache',
  /** `hit` or `miss`. */
  cacheResult: 'oidc_guard.cache.result',
  /** The HTTP status a denial answers with (400, 401, 403, 503), or a fetch's response status. */
  httpStatus: 'http.response.status_code',
  httpMethod: 'http.request.method',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  /** The error code of a denial, or a fetch failure (`timeout`, `network`, `status`, …). */
  errorType: 'error.type',
  /** The token's subject: only with `includeSubject`, and only on spans. */
  subject: 'enduser.id',
  /** Set on the one series that absorbs decisions beyond `maxSeries`. */
  overflow: 'otel.metric.overflow',
})
