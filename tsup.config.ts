import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'express/index': 'adapters/express/index.ts',
    'koa/index': 'adapters/koa/index.ts',
    'fastify/index': 'adapters/fastify/index.ts',
    'redis/index': 'src/redis/index.ts',
    // The test kit: its own entry, reachable from no other (test/dist checks the bundles).
    'testing/index': 'src/testing/index.ts',
    'otel/index': 'src/otel/index.ts',
    'cli/bin': 'src/cli/bin.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // One shared chunk holds the core, so every subpath sees the same error classes.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['express', 'koa', 'fastify', 'fastify-plugin', 'redis', '@opentelemetry/api'],
})
