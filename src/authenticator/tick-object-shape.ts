import { executionAsyncResource } from 'node:async_hooks'

// The tick object held for the life of the process (or thread), once the first authenticator
// is created; `scheduled` makes later authenticators a no-op.
let scheduled = false
let held: object | undefined

/**
 * Keeps one `process.nextTick` tick object alive, so that Node's `nextTick` stays on V8's fast
 * path from then on.
 *
 * Why: Node builds every tick object with one object literal (`{ [async_id_symbol]: …,
 * [trigger_async_id_symbol]: …, callback, args }`), and V8 remembers, per property of that
 * literal, the hidden class (map) it saw, holding the map weakly. When a full garbage collection
 * runs while no tick object is alive (an idle moment: between startup and the first requests,
 * say), those maps are freed and the next tick object gets new ones. The literal's feedback then
 * sees a second map and turns megamorphic for good, and every later `nextTick` (several per HTTP
 * request, from Node's own streams) builds its object in the runtime: 0.3 to 0.6 µs more each,
 * 5 to 8 µs per Fastify request. Which processes it hits depends on when their collections run;
 * a tick object held keeps the maps alive, so it cannot happen after the hold (it cannot be
 * undone if it happened before). Seen on Node 20 (V8 11.3) and Node 24 (V8 13.6);
 * test/core/tick-object-shape.test.ts provokes it and shows the hold prevents it.
 *
 * Inside a `nextTick` callback, `executionAsyncResource()` (the public API for the current
 * resource) is that callback's tick object; Node's own properties on it are left as they are,
 * only what others attached is cleared, below. Calling it sets a flag after which, while some
 * async hook is enabled, native callbacks pass through Node's resource trampoline;
 * AsyncLocalStorage (and so OpenTelemetry) sets the same flag, and without any hook enabled it
 * changes nothing.
 */
export function holdTickObjectShape(): void {
  if (scheduled) return
  scheduled = true
  process.nextTick(function holdTickObject() {
    let tick: Record<string | symbol, unknown>
    try {
      tick = executionAsyncResource() as Record<string | symbol, unknown>
    } catch {
      return // a runtime without it: nothing held, nothing lost
    }
    // Only our own tick object (another runtime may answer with some other resource).
    if (tick?.callback !== holdTickObject) return
    held = tick
    // After this tick's `after` hooks, which may still read what they attached.
    process.nextTick(dropAttachedValues, tick)
  })
}

/**
 * Clears the objects others attached to the held tick (an AsyncLocalStorage store or context
 * frame, a domain), so a first authenticator created inside a request's context does not keep
 * it alive. The properties stay, so the tick keeps its map; the async ids are numbers, kept.
 */
function dropAttachedValues(tick: Record<string | symbol, unknown>): void {
  for (const key of Reflect.ownKeys(tick)) {
    const value = tick[key]
    if (key === 'callback' || value === null) continue
    // Reflect.set: a read-only property stays, where an assignment would throw in this tick.
    if (typeof value === 'object' || typeof value === 'function') Reflect.set(tick, key, undefined)
  }
}

/** The held tick object, for the test: undefined until the tick after the first call. */
export function heldTickObject(): object | undefined {
  return held
}
