import { AsyncLocalStorage } from 'node:async_hooks'
import { context, ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api'
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

/** A pull reader: `collect()` on demand, as a Prometheus scrape would. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** What a test reads back from the real OpenTelemetry SDK. */
export interface OtelSdk {
  readonly meterProvider: MeterProvider
  readonly tracerProvider: BasicTracerProvider
  readonly spans: InMemorySpanExporter
  /** Collects every metric now, by name. */
  collect(): Promise<Map<string, MetricData>>
  /** The data points of one metric, attributes and value. */
  points(name: string): Promise<DataPoint<unknown>[]>
  shutdown(): Promise<void>
}

export function startOtelSdk(): OtelSdk {
  const reader = new PullReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  })
  async function collect(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await reader.collect()
    if (errors.length > 0) throw errors[0]
    const byName = new Map<string, MetricData>()
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric)
    return byName
  }
  return {
    meterProvider,
    tracerProvider,
    spans,
    collect,
    async points(name) {
      return ((await collect()).get(name)?.dataPoints ?? []) as DataPoint<unknown>[]
    },
    async shutdown() {
      await meterProvider.shutdown()
      await tracerProvider.shutdown()
    },
  }
}

/**
 * The context manager an OpenTelemetry Node SDK registers (AsyncLocalStorage), in a few lines,
 * so tests see spans nest as they do in an application.
 */
export function registerContextManager(): void {
  const storage = new AsyncLocalStorage<Context>()
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.apply(thisArg, args)),
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => manager,
  }
  context.setGlobalContextManager(manager)
}
