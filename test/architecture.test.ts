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

describe('module boundaries', () => {
  it('the core imports no web framework', () => {
    for (const file of sources('src')) {
      expect(
        importsOf(file).filter((path) => FRAMEWORKS.test(path)),
        file,
      ).toEqual([])
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
      // `declare module` / `declare global` blocks type req.auth etc.; they hold no logic.
      const withoutAugmentation = text.replace(
        /^declare (module '[^']+'|global) \{[\s\S]*?^\}$/gm,
        '',
      )
      const code = withoutAugmentation
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\/\*\*|\*|\*\/|$)/.test(line))
      expect(code.length, file).toBeLessThanOrEqual(105)
    }
  })
})
