/** A value now, or a promise of it: the verification pipeline answers a cache hit synchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Applies `next` to a value now, or once its promise resolves, so each stage of the pipeline
 * stays synchronous when the stage before it was (a remembered token costs no microtask), and
 * the branching is written once instead of at every stage.
 */
export function andThen<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value)
}
