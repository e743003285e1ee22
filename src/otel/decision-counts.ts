import type { Attributes } from '@opentelemetry/api'
import { ATTRIBUTES } from './names.js'

/** One series of the decisions counter: its attributes and how many decisions it counted. */
export interface Series {
  readonly attributes: Attributes
  count: number
}

/**
 * Decision counts kept as plain numbers per attribute set and reported when metrics are
 * collected: a decision costs a map lookup and an increment instead of hashing attributes on
 * every request. The number of series is bounded; decisions past the bound share one series
 * marked `otel.metric.overflow` (as the OpenTelemetry SDK does for its own cardinality limit).
 */
export class DecisionCounts {
  private readonly series = new Map<string, Series>()
  private readonly overflow: Series = {
    attributes: Object.freeze({ [ATTRIBUTES.overflow]: true }),
    count: 0,
  }

  constructor(private readonly maxSeries: number) {}

  /** The series for a key, created with `attributes()` the first time (within the bound). */
  get(key: string, attributes: () => Attributes): Series {
    const found = this.series.get(key)
    if (found !== undefined) return found
    if (this.series.size >= this.maxSeries) return this.overflow
    const created: Series = { attributes: Object.freeze(attributes()), count: 0 }
    this.series.set(key, created)
    return created
  }

  /** Every series with a count, for the observable counter's callback. */
  *all(): Iterable<Series> {
    yield* this.series.values()
    if (this.overflow.count > 0) yield this.overflow
  }
}
