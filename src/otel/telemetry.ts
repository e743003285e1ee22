import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  isOidcGuardError,
  reasonCode,
  type AuthContext,
  type FetchEnd,
  type FetchStart,
  type Guard,
  type Instrumentation,
  type InstrumentedAuthenticator,
} from '../index.js'
import { DecisionCounts, type Series } from './decision-counts.js'
import { IssuerLabels } from './issuer-labels.js'
import { ATTRIBUTES, METRICS, SPANS } from './names.js'

/** Options of `createTelemetry()`. */
export interface TelemetryOptions {
  /** Where metrics go. Default: the global provider (`metrics.getMeterProvider()`), a no-op until an SDK registers one. */
  meterProvider?: MeterProvider | undefined
  /** Where spans go. Default: the global provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider | undefined
  /**
   * Put the token's subject (`enduser.id`) on verification spans. Personal data: off by
   * default. Never on metrics (one series per user would be unbounded).
   */
  includeSubject?: boolean | undefined
  /** Report each tenant of an issuer template as its own issuer. Default false: the template. */
  includeTenants?: boolean | undefined
  /** Most series of the decisions counter; the rest share one overflow series. Default 2000. */
  maxSeries?: number | undefined
}

/** Instrumentation that records OpenTelemetry metrics and spans; see `createTelemetry`. */
export interface Telemetry extends Instrumentation {
  /** Stops reporting the observable metrics (the authenticators keep working). */
  close(): void
}

const SECONDS = 1 / 1000
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Attached {
  readonly source: InstrumentedAuthenticator
  previous: { hits: number; misses: number }
}

/**
 * OpenTelemetry metrics and traces for oidc-guard, through `@opentelemetry/api` (an optional
 * peer dependency: install it, and an SDK, to use this entry). Pass the result as the
 * `instrumentation` option of `createAuthenticator()` or any adapter's `authenticate()`; one
 * telemetry object may serve several authenticators.
 *
 * Metrics: `oidc_guard.decisions` (counter), `oidc_guard.verification.duration` and
 * `oidc_guard.fetch.duration` (histograms, seconds), `oidc_guard.cache.size`,
 * `oidc_guard.cache.hit_ratio` (gauges) and `oidc_guard.cache.lookups` (counter).
 * Spans: `oidc_guard.verify` per verification that is not a cache hit, and
 * `oidc_guard.fetch.{discovery,jwks,introspection}` per remote fetch (kind client).
 * Never the token; the subject only with `includeSubject`, and only on spans.
 *
 * A cached request costs two increments (and, when its issuer or guard differs from the previous
 * request's, a few map lookups): decision counts are kept as numbers and reported when metrics
 * are collected.
 *
 * @example
 * import { createTelemetry } from 'oidc-guard/otel'
 * app.use(authenticate({ issuer, audience, instrumentation: createTelemetry() }))
 * @see docs/observability.md
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('oidc-guard')
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('oidc-guard')
  const includeSubject = options.includeSubject === true
  const labels = new IssuerLabels(options.includeTenants === true)
  const counts = new DecisionCounts(options.maxSeries ?? 2000)
  const attached = new Set<Attached>()
  // Lookups of authenticators that were closed, so the lookups counter never goes down.
  const retired = { hits: 0, misses: 0 }

  const verificationDuration = meter.createHistogram(METRICS.verificationDuration, {
    description: 'Verifications of access tokens that were not verified-token cache hits',
    unit: 's',
    advice: { explicitBucketBoundaries: BUCKETS },
  })
  const fetchDuration = meter.createHistogram(METRICS.fetchDuration, {
    description: 'Discovery, JWKS and introspection fetches',
    unit: 's',
    advice: { explicitBucketBoundaries: BUCKETS },
  })
  const decisions = meter.createObservableCounter(METRICS.decisions, {
    description: 'Authentication and authorization decisions',
    unit: '{decision}',
  })
  const cacheSize = meter.createObservableGauge(METRICS.cacheSize, {
    description: 'Entries held by the bounded caches',
    unit: '{entry}',
  })
  const cacheLookups = meter.createObservableCounter(METRICS.cacheLookups, {
    description: 'Verified-token cache lookups',
    unit: '{lookup}',
  })
  const hitRatio = meter.createObservableGauge(METRICS.cacheHitRatio, {
    description: 'Verified-token cache hit ratio since the previous collection',
    unit: '1',
  })
  const observables = [decisions, cacheSize, cacheLookups, hitRatio]

  const observe: Parameters<typeof meter.addBatchObservableCallback>[0] = (result) => {
    for (const series of counts.all()) result.observe(decisions, series.count, series.attributes)
    const sizes = { verified_tokens: 0, issuers: 0, keys: 0, unknown_tenants: 0 }
    let hits = retired.hits
    let misses = retired.misses
    let windowHits = 0
    let windowLookups = 0
    for (const entry of attached) {
      const stats = entry.source.stats()
      sizes.verified_tokens += stats.verifiedTokens
      sizes.issuers += stats.issuers
      sizes.keys += stats.keys
      sizes.unknown_tenants += stats.unknownTenants
      const now = entry.source.tokenCacheLookups()
      hits += now.hits
      misses += now.misses
      windowHits += now.hits - entry.previous.hits
      windowLookups += now.hits + now.misses - entry.previous.hits - entry.previous.misses
      entry.previous = now
    }
    for (const [cache, size] of Object.entries(sizes))
      result.observe(cacheSize, size, { [ATTRIBUTES.cache]: cache })
    result.observe(cacheLookups, hits, { [ATTRIBUTES.cacheResult]: 'hit' })
    result.observe(cacheLookups, misses, { [ATTRIBUTES.cacheResult]: 'miss' })
    if (windowLookups > 0) result.observe(hitRatio, windowHits / windowLookups)
  }
  meter.addBatchObservableCallback(observe, observables)

  // Series found by concrete issuer (and guard), so a request builds no key and no attributes.
  const allowedByIssuer = new Map<string, Series>()
  const allowedByGuard = new Map<Guard, Map<string, Series>>()

  // The series each hook counted last: most requests repeat the issuer (and a route its guard),
  // so two comparisons (a reference, and a string equal in content) stand in for the map lookups.
  let lastIssuer: string | undefined
  let lastIssuerSeries: Series | undefined
  let lastGuard: Guard | undefined
  let lastGuardIssuer: string | undefined
  let lastGuardSeries: Series | undefined

  function allowedSeries(issuer: string, guard?: Guard): Series {
    const label = labels.of(issuer)
    const key = guard
      ? `authorize\u0000${guard.description}\u0000${label}`
      : `authenticate\u0000${label}`
    return counts.get(key, () => ({
      [ATTRIBUTES.decisionType]: guard ? 'authorize' : 'authenticate',
      [ATTRIBUTES.outcome]: 'allow',
      [ATTRIBUTES.issuer]: label,
      ...(guard && { [ATTRIBUTES.guard]: guard.description }),
    }))
  }

  function remember<K>(map: Map<K, Series>, key: K, series: Series): Series {
    // Bounded like the series: concrete issuers beyond it are looked up by label each time.
    if (map.size < 10_000) map.set(key, series)
    return series
  }

  function verificationEnded(span: Span, started: number, auth?: AuthContext, error?: unknown) {
    const attributes: Attributes = {}
    if (auth !== undefined) {
      attributes[ATTRIBUTES.outcome] = 'allow'
      attributes[ATTRIBUTES.issuer] = labels.of(auth.issuer)
    } else {
      attributes[ATTRIBUTES.outcome] = 'deny'
      // Anything but our own error is a bug somewhere: counted, never described.
      const known = isOidcGuardError(error)
      attributes[ATTRIBUTES.reason] = known ? reasonCode(error) : 'other'
      attributes[ATTRIBUTES.errorType] = known ? error.code : 'other'
    }
    verificationDuration.record((performance.now() - started) * SECONDS, attributes)
    span.setAttributes(attributes)
    if (includeSubject && auth?.subject !== undefined)
      span.setAttribute(ATTRIBUTES.subject, auth.subject)
    // Only our own failures (keys unavailable, a bug) are errors; a refused token is a client's.
    if (error !== undefined && (!isOidcGuardError(error) || error.status === 503))
      span.setStatus({ code: SpanStatusCode.ERROR })
    span.end()
  }

  return {
    onAuthenticated(auth) {
      const issuer = auth.issuer
      if (issuer !== lastIssuer || lastIssuerSeries === undefined) {
        lastIssuerSeries =
          allowedByIssuer.get(issuer) ?? remember(allowedByIssuer, issuer, allowedSeries(issuer))
        lastIssuer = issuer
      }
      lastIssuerSeries.count += 1
    },
    onAuthorized(guard, auth) {
      const issuer = auth.issuer
      if (guard === lastGuard && issuer === lastGuardIssuer && lastGuardSeries !== undefined) {
        lastGuardSeries.count += 1
        return
      }
      let byIssuer = allowedByGuard.get(guard)
      if (byIssuer === undefined) {
        byIssuer = new Map()
        if (allowedByGuard.size < 10_000) allowedByGuard.set(guard, byIssuer)
      }
      const series =
        byIssuer.get(issuer) ?? remember(byIssuer, issuer, allowedSeries(issuer, guard))
      series.count += 1
      lastGuard = guard
      lastGuardIssuer = issuer
      lastGuardSeries = series
    },
    onDenied(error, _request, guard, auth) {
      const reason = reasonCode(error)
      // A guard's refusal knows the (verified) issuer; a failed authentication does not.
      const issuer = auth === undefined ? undefined : labels.of(auth.issuer)
      const key = `${guard?.description ?? ''}\u0000${reason}\u0000${error.status}\u0000${issuer ?? ''}`
      counts.get(key, () => ({
        [ATTRIBUTES.decisionType]: guard ? 'authorize' : 'authenticate',
        [ATTRIBUTES.outcome]: 'deny',
        [ATTRIBUTES.reason]: reason,
        [ATTRIBUTES.httpStatus]: error.status,
        ...(guard && { [ATTRIBUTES.guard]: guard.description }),
        ...(issuer !== undefined && { [ATTRIBUTES.issuer]: issuer }),
      })).count += 1
    },
    runVerification(verify) {
      const started = performance.now()
      return tracer.startActiveSpan(SPANS.verify, { kind: SpanKind.INTERNAL }, (span) => {
        let result: AuthContext | Promise<AuthContext>
        try {
          result = verify()
        } catch (error) {
          verificationEnded(span, started, undefined, error)
          throw error
        }
        if (!(result instanceof Promise)) {
          verificationEnded(span, started, result)
          return result
        }
        return result.then(
          (auth) => {
            verificationEnded(span, started, auth)
            return auth
          },
          (error: unknown) => {
            verificationEnded(span, started, undefined, error)
            throw error
          },
        )
      })
    },
    startFetch(start: FetchStart) {
      const started = performance.now()
      const url = new URL(start.url)
      const issuer = start.issuer === undefined ? undefined : labels.of(start.issuer)
      const base: Attributes = {
        [ATTRIBUTES.fetchKind]: start.kind,
        ...(issuer !== undefined && { [ATTRIBUTES.issuer]: issuer }),
      }
      const span = tracer.startSpan(SPANS.fetch[start.kind], {
        kind: SpanKind.CLIENT,
        attributes: {
          ...base,
          [ATTRIBUTES.httpMethod]: start.kind === 'introspection' ? 'POST' : 'GET',
          [ATTRIBUTES.urlFull]: `${url.origin}${url.pathname}`,
          [ATTRIBUTES.serverAddress]: url.hostname,
          [ATTRIBUTES.serverPort]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        },
      })
      return (end: FetchEnd) => {
        const attributes: Attributes = { ...base }
        if (end.status !== undefined) attributes[ATTRIBUTES.httpStatus] = end.status
        if (end.error !== undefined) attributes[ATTRIBUTES.errorType] = end.error
        fetchDuration.record((performance.now() - started) * SECONDS, attributes)
        span.setAttributes(attributes)
        if (end.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
      }
    },
    attach(source) {
      labels.add(source.options.issuers)
      const entry: Attached = { source, previous: source.tokenCacheLookups() }
      attached.add(entry)
      return () => {
        if (!attached.delete(entry)) return
        const last = source.tokenCacheLookups()
        retired.hits += last.hits
        retired.misses += last.misses
      }
    },
    close() {
      meter.removeBatchObservableCallback(observe, observables)
      attached.clear()
    },
  }
}
