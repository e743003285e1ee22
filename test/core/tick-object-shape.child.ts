/**
 * Provokes the megamorphic tick-object literal (src/authenticator/tick-object-shape.ts), with or
 * without an authenticator created first (HOLD=1), and prints the state of each property site of
 * Node's `nextTick` literal. Run with --allow-natives-syntax --expose-gc.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { create as createDomain } from 'node:domain'
import { createAuthenticator } from '../../src/index.js'
import { heldTickObject } from '../../src/authenticator/tick-object-shape.js'

// Written through Function: the TypeScript loader does not parse V8's %-syntax.
const debugPrint = new Function('f', '%DebugPrint(f)') as (value: unknown) => void
const collect = (globalThis as { gc?: () => void }).gc as () => void
const tick = () => new Promise<void>((resolve) => process.nextTick(resolve))
const idle = () => new Promise<void>((resolve) => setTimeout(resolve, 20))

const create = () =>
  createAuthenticator({
    issuer: 'https://idp.example.com',
    audience: 'https://api.example.com',
    jwksUri: 'https://idp.example.com/jwks',
  })
// HOLD=context: the first authenticator created inside an AsyncLocalStorage context and a domain.
const context = new AsyncLocalStorage<{ request: string }>()
const store = { request: 'the request being served' }
const domain = createDomain()
if (process.env.HOLD === '1') create()
if (process.env.HOLD === 'context') domain.run(() => context.run(store, create))
// Enough ticks for V8 to record the literal's maps, then full collections while none is alive
// (the idle moment of a real process), then ticks again.
for (let i = 0; i < 20; i++) await tick()
await idle()
for (let i = 0; i < 4; i++) {
  collect()
  await idle()
}
for (let i = 0; i < 20; i++) await tick()
const held = heldTickObject() as Record<string | symbol, unknown> | undefined
const values = held === undefined ? [] : Reflect.ownKeys(held).map((key) => held[key])
// Node's first two symbols on a tick object are its async ids (numbers, left as they are).
const ids = held === undefined ? [] : Object.getOwnPropertySymbols(held).slice(0, 2)
const numericIds = ids.every((id) => typeof held?.[id] === 'number')
const described =
  held === undefined ? 'none' : `async ids ${numericIds}, ${Object.keys(held).join(' ')}`
process.stdout.write(`held: ${described}\n`)
// Whether the held tick keeps the context's store (directly, or in Node 22+'s frame map) or the
// domain alive.
const keeps = values.some(
  (value) =>
    value === store ||
    value === domain ||
    (value instanceof Map && [...value.values()].includes(store)),
)
process.stdout.write(`keeps the store: ${keeps}\n`)
debugPrint(process.nextTick)
