/**
 * `oidc-guard/otel`: OpenTelemetry metrics and traces for oidc-guard. This entry alone imports
 * `@opentelemetry/api` (an optional peer dependency); the main entry never does.
 */
export { createTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.js'
export { ATTRIBUTES, METRICS, SPANS } from './names.js'
