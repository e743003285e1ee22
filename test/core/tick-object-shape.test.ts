/**
 * Node's `nextTick` builds its tick objects with one literal whose property sites V8 remembers
 * by map, weakly. Full collections while no tick object is alive free those maps, and the sites
 * turn megamorphic for good (every later `nextTick` built in the runtime). Creating an
 * authenticator holds one tick object, so the maps, and the fast path, survive. Each case runs
 * in a child process (the state is per process), with V8's natives syntax to read the feedback.
 */
import { spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./tick-object-shape.child.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oidc-guard-tick-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// No inherited flags or coverage collection: they change when V8 records feedback.
function childEnv(hold: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', HOLD: hold }
  delete env.NODE_V8_COVERAGE
  return env
}

async function literalSites(
  hold: '0' | '1' | 'context',
): Promise<{ held: string; keepsStore: string; states: string[] }> {
  // To a file, not a pipe: V8 prints through C's buffered stdout, which a non-blocking pipe
  // can drop at exit.
  const file = join(dir, `hold-${hold}.out`)
  const out = openSync(file, 'w')
  const child = spawn(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', CHILD],
    {
      env: childEnv(hold),
      stdio: ['ignore', out, 'inherit'],
      timeout: 30_000,
    },
  )
  const code = await new Promise((resolve) => child.on('exit', resolve))
  closeSync(out)
  expect(code).toBe(0)
  const stdout = readFileSync(file, 'utf8')
  return {
    held: /^held: (.*)$/m.exec(stdout)?.[1] ?? '',
    keepsStore: /^keeps the store: (.*)$/m.exec(stdout)?.[1] ?? '',
    states: [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1] ?? ''),
  }
}

// Each child loads the sources through tsx: seconds on a busy machine.
describe("the tick object's maps", { timeout: 60_000 }, () => {
  it('without a held tick object, collections while none is alive make the literal megamorphic', async () => {
    // The runtime behaviour the hold exists for: if a Node release stops doing this, this case
    // fails and the hold can go.
    const { held, states } = await literalSites('0')
    expect(held).toBe('none')
    expect(states.length).toBeGreaterThanOrEqual(4)
    expect(states).toContain('MEGAMORPHIC')
  })

  it('once an authenticator exists, one tick object is held and every site stays monomorphic', async () => {
    const { held, states } = await literalSites('1')
    expect(held).toBe('async ids true, callback args')
    expect(states.length).toBeGreaterThanOrEqual(4)
    expect(states.every((state) => state === 'MONOMORPHIC')).toBe(true)
  })

  it('created inside an AsyncLocalStorage context and a domain, the held tick keeps its shape but neither', async () => {
    const { held, keepsStore, states } = await literalSites('context')
    expect(held).toBe('async ids true, callback args')
    expect(keepsStore).toBe('false')
    expect(states.length).toBeGreaterThanOrEqual(4)
    expect(states.every((state) => state === 'MONOMORPHIC')).toBe(true)
  })
})
