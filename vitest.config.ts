import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Vitest 5's failure reporter calls Map.groupBy, which Node 20 lacks (Node 21+): without this,
// a failing test crashes the reporter instead of showing what failed.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    value<K, T>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Map<K, T[]> {
      const groups = new Map<K, T[]>()
      let index = 0
      for (const item of items) {
        const key = keyOf(item, index++)
        const group = groups.get(key)
        if (group) group.push(item)
        else groups.set(key, [item])
      }
      return groups
    },
  })
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests and examples import the package by name, as users do; these map it to the sources.
    alias: [
      { find: /^oidc-guard$/, replacement: here('./src/index.ts') },
      { find: /^oidc-guard\/(express|koa|fastify)$/, replacement: here('./adapters/$1/index.ts') },
      { find: /^oidc-guard\/redis$/, replacement: here('./src/redis/index.ts') },
      { find: /^oidc-guard\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^oidc-guard\/otel$/, replacement: here('./src/otel/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'] },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'adapters/**/*.ts'],
      // The embedded OpenID provider is test infrastructure that is never published (it needs
      // oidc-provider, a dev dependency); the gate measures what ships.
      exclude: ['src/testing/oidc-provider.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95, branches: 95, functions: 95, statements: 95 },
    },
  },
})
