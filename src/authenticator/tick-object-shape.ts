import { executionAsyncResource } from 'node:async_hooks'

// The tick object held for the life of the process (or thread), once the first authenticator
// is created; `scheduled` makes later authenticators a no-op.
let scheduled = false
let held: object | undefined

/**
 * Keeps one `process.nextTick` tick object alive, so that Node's `nextTick` stays on V8's fast
 * path for the life of the process.
 *
 * Why: Node builds every tick object with one object literal (`{ [async_id_symbol]: …,
 * [trigger_async_id_symbol]: …, callback, args }`), and V8 remembers, per property of that
 * literal, the hidden class (map) it saw, holding the map weakly. When a full garbage collection
 * runs while no tick object is alive (an idle moment: between startup and the first requests,
 * say), those maps are freed and the next tick object gets new ones. The literal's feedback then
 * sees a second map and turns megamorphic for good, and from then on every `nextTick` (several
 * per HTTP request, from Node's own streams) builds its object in the runtime: 0.3 to 0.6 µs more
 * each, 5 to 8 µs per Fastify request. Which processes it hits depends on when their collections
 * happen; one tick object held keeps the maps alive, so none is. Seen on Node 20 (V8 11.3) and
 * Node 24 (V8 13.6); test/core/tick-object-shape.test.ts provokes it and shows the hold prevents it.
 *
 * Inside a `nextTick` callback, `executionAsyncResource()` is that callback's tick object: the
 * public way to reach one. Holding it costs one small object and this module's callback.
 */
export function holdTickObjectShape(): void {
  if (scheduled) return
  scheduled = true
  process.nextTick(function holdTickObject() {
    const tick = executionAsyncResource() as Record<symbol, unknown>
    // Node copies the active AsyncLocalStorage store (Node 20) or context frame (Node 22+) onto
    // each new resource: were the first authenticator created inside one (a request's context,
    // a span), the held tick would keep it alive. The shape is what matters: drop the values
    // after the two async ids.
    for (const key of Object.getOwnPropertySymbols(tick).slice(2)) tick[key] = undefined
    held = tick
  })
}

/** The held tick object, for the test: undefined until the tick after the first call. */
export function heldTickObject(): object | undefined {
  return held
}
