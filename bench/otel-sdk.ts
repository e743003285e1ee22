/**
 * The OpenTelemetry SDK as an operator would install it, with exporters that drop what they
 * get: the SDK does all its work (aggregation every 100 ms, span processing) and nothing leaves
 * the process. Used by the in-process OTel bench and by the HTTP contenders "+ OTel".
 */
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'

// ExportResultCode.SUCCESS of @opentelemetry/core (not a dependency of ours: the SDK's).
const SUCCESS = 0

export interface NoopOtelSdk {
  readonly meterProvider: MeterProvider
  readonly tracerProvider: BasicTracerProvider
}

export function startNoopOtelSdk(): NoopOtelSdk {
  const metricExporter: PushMetricExporter = {
    export: (_metrics, done) => done({ code: SUCCESS }),
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const spanExporter: SpanExporter = {
    export: (_spans, done) => done({ code: SUCCESS }),
    shutdown: async () => {},
  }
  return {
    meterProvider: new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: metricExporter,
          exportIntervalMillis: 100,
          exportTimeoutMillis: 50,
        }),
      ],
    }),
    tracerProvider: new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spanExporter)],
    }),
  }
}
