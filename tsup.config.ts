import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'express/index': 'adapters/express/index.ts',
    'koa/index': 'adapters/koa/index.ts',
    'fastify/index': 'adapters/fastify/index.ts',
    'otel/index': 'src/otel/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // One shared chunk holds the core, so every subpath sees the same error classes.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['express', 'koa', 'fastify', 'fastify-plugin', '@opentelemetry/api'],
})
