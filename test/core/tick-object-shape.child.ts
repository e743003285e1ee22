/**
 * Provokes the megamorphic tick-object literal (src/authenticator/tick-object-shape.ts), with or
 * without an authenticator created first (HOLD=1), and prints the state of each property site of
 * Node's `nextTick` literal. Run with --allow-natives-syntax --expose-gc.
 */
import { createAuthenticator } from '../../src/index.js'
import { heldTickObject } from '../../src/authenticator/tick-object-shape.js'

// Written through Function: the TypeScript loader does not parse V8's %-syntax.
const debugPrint = new Function('f', '%DebugPrint(f)') as (value: unknown) => void
const collect = (globalThis as { gc?: () => void }).gc as () => void
const tick = () => new Promise<void>((resolve) => process.nextTick(resolve))
const idle = () => new Promise<void>((resolve) => setTimeout(resolve, 20))

if (process.env.HOLD === '1')
  createAuthenticator({
    issuer: 'https://idp.example.com',
    audience: 'https://api.example.com',
    jwksUri: 'https://idp.example.com/jwks',
  })
// Enough ticks for V8 to record the literal's maps, then full collections while none is alive
// (the idle moment of a real process), then ticks again.
for (let i = 0; i < 20; i++) await tick()
await idle()
for (let i = 0; i < 4; i++) {
  collect()
  await idle()
}
for (let i = 0; i < 20; i++) await tick()
const held = heldTickObject() as Record<string, unknown> | undefined
process.stdout.write(
  `held: ${held === undefined ? 'none' : `${Object.getOwnPropertySymbols(held).length} symbols, ${Object.keys(held).join(' ')}`}\n`,
)
debugPrint(process.nextTick)
