import Router from '@koa/router'
import Koa from 'koa'
import {
  authenticate,
  requireAction,
  requireClaim,
  requireRole,
  requireScope,
  type AuthState,
} from 'oidc-guard/koa'
import { createOrdersStore, type ExampleConfig } from '../orders-store.js'

/** The orders API on Koa with @koa/router. */
export function createKoaApp(config: ExampleConfig) {
  const store = createOrdersStore()
  const app = new Koa<AuthState>()
  const router = new Router<AuthState>()
  const auth = authenticate(config)
  const isOwner = requireClaim(
    'sub',
    (sub, _auth, req) => sub === (req.params as { userId: string }).userId,
  )

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/orders', auth, requireScope('orders:read'), (ctx) => {
    ctx.body = store.all()
  })
  router.post('/orders', auth, requireScope('orders:write'), (ctx) => {
    ctx.status = 201
    ctx.body = store.add(ctx.state.auth!.subject!, 'from koa')
  })
  router.get('/admin/stats', auth, requireRole('admin'), (ctx) => {
    ctx.body = store.stats()
  })
  router.get('/users/:userId/orders', auth, isOwner, (ctx) => {
    ctx.body = store.ownedBy(ctx.params.userId as string)
  })
  // Who may refund is data: the policy file decides, and it can change while the API runs.
  router.post('/orders/:id/refund', auth, requireAction('orders.refund'), (ctx) => {
    const order = store.refund(Number(ctx.params.id))
    ctx.status = order ? 200 : 404
    ctx.body = order ?? { error: 'not_found' }
  })
  app.use(router.routes()).use(router.allowedMethods())
  return app
}
