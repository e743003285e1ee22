import express4 from 'express4'
import Koa2 from 'koa2'
import type { AuthContext, AuthenticateOptions } from 'oidc-guard'
import { buildApp, type RouteSpec, type RunningApp } from '../helpers/route-apps.js'

/**
 * The same orders API on each framework, built by the tests' one app builder. Every
 * conformance case runs against all of them.
 */
export type ConformanceApp = RunningApp

export type Framework = 'express' | 'koa' | 'fastify' | 'express 4' | 'koa 2'

const isOwner = (sub: unknown, _auth: AuthContext, request: { params?: unknown }) =>
  sub === (request.params as { userId?: string } | undefined)?.userId

function summary(auth: AuthContext | null | undefined) {
  // "No token" reads the same on every adapter: undefined, never null (a 500 fails the case).
  if (auth === null) throw new Error('auth is null instead of undefined')
  return { subject: auth?.subject ?? null, scopes: auth?.scopes ?? [] }
}

/** The route table: path → the guard chain (after authentication), all on one authenticator. */
function routes(options: AuthenticateOptions): RouteSpec[] {
  const route = (spec: Omit<RouteSpec, 'options' | 'respond'>): RouteSpec => ({
    options,
    respond: summary,
    ...spec,
  })
  return [
    { path: '/health', respond: () => ({ ok: true }) },
    route({ path: '/orders', guards: (g) => [g.requireScope('orders:read')] }),
    route({ method: 'post', path: '/orders', guards: (g) => [g.requireScope('orders:write')] }),
    route({ path: '/reports', guards: (g) => [g.requireAnyScope('orders:admin', 'orders:write')] }),
    route({ path: '/admin', guards: (g) => [g.requireRole('admin')] }),
    route({ path: '/staff', guards: (g) => [g.requireAnyRole('admin', 'editor')] }),
    route({ path: '/users/:userId/orders', guards: (g) => [g.requireClaim('sub', isOwner)] }),
    route({ path: '/tenant', guards: (g) => [g.requireClaim('tenant', 'acme')] }),
    route({
      path: '/combo/all',
      guards: (g) => [g.allOf(g.requireScope('orders:read'), g.requireRole('editor'))],
    }),
    route({
      path: '/combo/any',
      guards: (g) => [g.anyOf(g.requireRole('admin'), g.requireScope('orders:write'))],
    }),
    route({ path: '/combo/not', guards: (g) => [g.not(g.requireRole('viewer'))] }),
    route({
      path: '/chain',
      guards: (g) => [g.requireScope('orders:read'), g.requireRole('editor')],
    }),
    route({ path: '/whoami' }),
    route({
      path: '/declarative',
      requirement: { scope: 'orders:write', anyRole: ['admin', 'editor'] },
    }),
    route({ path: '/optional', optional: true }),
    // Policy as data (CONFORMANCE_POLICY): the named action, the route binding, no binding.
    route({ path: '/policy/refund', guards: (g) => [g.requireAction('orders.refund')] }),
    route({ path: '/policy/orders/:id', guards: (g) => [g.enforcePolicy()] }),
    route({ path: '/policy/unbound', guards: (g) => [g.enforcePolicy()] }),
    route({ path: '/policy/public', guards: (g) => [g.enforcePolicy({ unbound: 'pass' })] }),
  ]
}

/** The policy document of the conformance apps' `/policy/*` routes. */
export const CONFORMANCE_POLICY = {
  version: 1,
  roles: { admin: { permissions: ['orders.refund'] } },
  actions: { 'orders.refund': null, 'orders.read': null },
  rules: [
    { id: 'refunds', action: 'orders.refund', allow: { permission: 'orders.refund' } },
    { id: 'read', action: 'orders.read', allow: { scope: 'orders:read' } },
  ],
  routes: { 'GET /policy/orders/:id': 'orders.read' },
}

export const FRAMEWORKS: Record<
  Framework,
  (options: AuthenticateOptions) => Promise<ConformanceApp>
> = {
  express: (options) => buildApp('express', routes(options)),
  koa: (options) => buildApp('koa', routes(options)),
  fastify: (options) => buildApp('fastify', routes(options)),
  // Express 4 and Koa 2 (the peer ranges allow them) through the same code.
  'express 4': (options) =>
    buildApp('express', routes(options), { express: express4 as unknown as () => never }),
  'koa 2': (options) => buildApp('koa', routes(options), { koa: Koa2 as never }),
}
