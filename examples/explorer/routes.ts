import {
  createActionGuard,
  requireClaim,
  requireRole,
  requireScope,
  type AuthContext,
  type Guard,
} from 'oidc-guard'

/**
 * The orders API's protected routes as the examples declare them (examples/express/app.ts and
 * its Koa and Fastify twins), with what each guard reads, so the explorer can explain a decision.
 */
export interface DemoRoute {
  readonly method: 'GET' | 'POST'
  /** The concrete path the explorer calls. */
  readonly path: string
  /** The route pattern it matches. */
  readonly pattern: string
  readonly guard: Guard
  readonly params: Record<string, string>
  /** The values the guard reads, as label and value, for the timeline. */
  reads(auth: AuthContext, params: Record<string, string>): [string, unknown][]
}

const isOwner = requireClaim(
  'sub',
  (sub, _auth, req) => sub === (req.params as { userId: string }).userId,
)
const ownerReads = (auth: AuthContext, params: Record<string, string>): [string, unknown][] => [
  ['token claim sub', auth.subject],
  ['route parameter userId', params.userId],
]
const scopeReads = (auth: AuthContext): [string, unknown][] => [['token scopes', auth.scopes]]

export const DEMO_ROUTES: readonly DemoRoute[] = [
  {
    method: 'GET',
    path: '/orders',
    pattern: '/orders',
    guard: requireScope('orders:read'),
    params: {},
    reads: scopeReads,
  },
  {
    method: 'POST',
    path: '/orders',
    pattern: '/orders',
    guard: requireScope('orders:write'),
    params: {},
    reads: scopeReads,
  },
  {
    method: 'GET',
    path: '/admin/stats',
    pattern: '/admin/stats',
    guard: requireRole('admin'),
    params: {},
    reads: (auth) => [['token roles', auth.roles]],
  },
  {
    // Decided by the policy file (examples/policy/orders-policy.yaml), not by route code.
    method: 'POST',
    path: '/orders/1/refund',
    pattern: '/orders/:id/refund',
    guard: createActionGuard('orders.refund'),
    params: { id: '1' },
    reads: (auth) => [
      ['token roles', auth.roles],
      ['token scopes', auth.scopes],
    ],
  },
  ...['reader', 'writer', 'admin'].map((userId): DemoRoute => ({
    method: 'GET',
    path: `/users/${userId}/orders`,
    pattern: '/users/:userId/orders',
    guard: isOwner,
    params: { userId },
    reads: ownerReads,
  })),
]

/** A route's key in forms: `GET /orders`. */
export const routeKey = (route: Pick<DemoRoute, 'method' | 'path'>) =>
  `${route.method} ${route.path}`

export function findRoute(key: unknown): DemoRoute | undefined {
  return DEMO_ROUTES.find((route) => routeKey(route) === key)
}
