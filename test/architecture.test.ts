import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file))
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map(
    (match) => match[1] as string,
  )
}

const FRAMEWORKS = /^(express|koa|@koa\/|fastify)/

// src/ folders by pipeline stage, and which other stages each may import. Lower layers know
// nothing of the ones above: keys and jose never see guards, guards never see keys.
const LAYERS: Record<string, readonly string[]> = {
  errors: [],
  jose: ['errors'],
  http: ['errors', 'config', 'verify'],
  config: [
    'errors',
    'jose',
    'keys',
    'claims',
    'authenticator',
    'binding',
    'policy',
    'introspection',
    'revocation',
  ],
  keys: ['errors', 'jose'],
  claims: ['errors', 'verify'],
  verify: ['errors', 'config', 'http', 'jose', 'keys', 'claims', 'introspection'],
  introspection: ['errors', 'config', 'jose', 'keys', 'claims', 'verify'],
  revocation: ['errors', 'config', 'jose', 'keys', 'verify'],
  guards: ['errors', 'config', 'http', 'claims', 'verify', 'policy'],
  authenticator: [
    'errors',
    'config',
    'http',
    'verify',
    'guards',
    'binding',
    'policy',
    'revocation',
  ],
  binding: ['errors', 'config', 'http', 'jose', 'verify', 'guards'],
  // Policy as data: documents compile to requirements (guards) and conditions on the request;
  // a policy URL is read with the bounded body reader of key fetches (keys).
  policy: ['errors', 'config', 'http', 'keys', 'claims', 'verify', 'guards'],
  redis: ['errors', 'binding', 'policy', 'revocation'],
  // The test kit sees the core only through its public entry (src/index.ts, types only), and
  // no stage sees the kit, so the production bundles cannot contain it.
  testing: [],
  // A subpath of its own, outside the pipeline: it sees the core only through src/index.ts.
  otel: [],
  // The `oidc-guard` bin: a tool outside the core barrel.
  cli: ['errors', 'config', 'http', 'claims', 'verify', 'guards', 'policy'],
}

function stageOf(file: string): string | undefined {
  const [top, stage, rest] = file.split('/')
  return top === 'src' && rest !== undefined ? stage : undefined
}

describe('module boundaries', () => {
  it('the core imports no web framework', () => {
    for (const file of sources('src')) {
      expect(
        importsOf(file).filter((path) => FRAMEWORKS.test(path)),
        file,
      ).toEqual([])
    }
  })

  it('each src/ stage imports only the stages below it (type-only imports included)', () => {
    for (const file of sources('src')) {
      const stage = stageOf(file)
      if (stage === undefined) continue
      const allowed = LAYERS[stage]
      expect(allowed, `${file}: ${stage}/ is not a known stage`).toBeDefined()
      for (const path of importsOf(file)) {
        if (!path.startsWith('.')) continue
        const target = stageOf(join(file, '..', path).replaceAll('\\', '/'))
        if (target === undefined || target === stage) continue
        expect(allowed, `${file} imports ${path}`).toContain(target)
      }
    }
  })

  it('only src/otel/ imports @opentelemetry, and it sees the core only through src/index.ts', () => {
    for (const file of sources('src')) {
      for (const path of importsOf(file)) {
        if (file.startsWith('src/otel/')) {
          const allowed =
            path === '../index.js' ||
            path === '@opentelemetry/api' ||
            /^\.\/[a-z-]+\.js$/.test(path)
          expect(allowed, `${file} imports ${path}`).toBe(true)
        } else expect(path, file).not.toMatch(/^@opentelemetry\//)
      }
    }
  })

  it('nothing in src/ or adapters/ imports examples/, test/, bench/ or scripts/', () => {
    for (const file of [...sources('src'), ...sources('adapters')]) {
      for (const path of importsOf(file)) {
        expect(path, file).not.toMatch(/(^|\/)(examples|test|bench|scripts)\//)
      }
    }
  })

  it('the test kit takes only types from the core, and nothing outside it imports the kit', () => {
    for (const file of sources('src/testing')) {
      const text = readFileSync(join(root, file), 'utf8')
      for (const match of text.matchAll(/^(import|export)( type)?[^'"]*from\s+'(\.\.\/[^']+)'/gm)) {
        expect(`${match[1]}${match[2] ?? ''} from '${match[3]}'`, file).toBe(
          "import type from '../index.js'",
        )
      }
    }
    for (const file of [...sources('src'), ...sources('adapters')]) {
      if (file.startsWith('src/testing/')) continue
      for (const path of importsOf(file)) expect(path, file).not.toMatch(/testing\//)
    }
  })

  it('adapters import only their framework and the public core entry', () => {
    for (const file of sources('adapters')) {
      const framework = file.split('/')[1] as string
      for (const path of importsOf(file)) {
        const allowed =
          path === '../../src/index.js' || path.startsWith(framework) || path === 'fastify-plugin'
        expect(allowed, `${file} imports ${path}`).toBe(true)
      }
    }
  })

  it('adapters stay thin: about a hundred lines of code each, type augmentation aside', () => {
    for (const file of sources('adapters')) {
      const text = readFileSync(join(root, file), 'utf8')
      // Not logic: `declare module` / `declare global` blocks (they type req.auth etc.), import
      // lists, and the list of guard names every adapter re-exports from GUARD_BUILDERS (ES
      // modules need static export names; a type test keeps the three lists equal).
      const withoutAugmentation = text
        .replace(/^declare (module '[^']+'|global) \{[\s\S]*?^\}$/gm, '')
        .replace(/^import [\s\S]*? from '[^']+'$/gm, '')
        .replace(/^export const \{[\s\S]*?\} = createGuardFactories\(authorize\)$/gm, '')
      const code = withoutAugmentation
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\/\*\*|\*|\*\/|$)/.test(line))
      expect(code.length, file).toBeLessThanOrEqual(105)
    }
  })
})
