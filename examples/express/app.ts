import express from 'express'
import {
  authenticate,
  requireAction,
  requireClaim,
  requireRole,
  requireScope,
} from 'oidc-guard/express'
import { createOrdersStore, type ExampleConfig } from '../orders-store.js'

/** The orders API on Express: each route declares what it requires, next to the route. */
export function createExpressApp(config: ExampleConfig) {
  const store = createOrdersStore()
  const app = express()
  app.use(express.json())
  const auth = authenticate(config)
  const isOwner = requireClaim(
    'sub',
    (sub, _auth, req) => sub === (req.params as { userId: string }).userId,
  )

  app.get('/health', (_req, res) => void res.json({ status: 'ok' }))
  app.get('/orders', auth, requireScope('orders:read'), (_req, res) => void res.json(store.all()))
  app.post('/orders', auth, requireScope('orders:write'), (req, res) => {
    res.status(201).json(store.add(req.auth!.subject!, req.body?.item))
  })
  app.get('/admin/stats', auth, requireRole('admin'), (_req, res) => void res.json(store.stats()))
  app.get(
    '/users/:userId/orders',
    auth,
    isOwner,
    (req, res) => void res.json(store.ownedBy(req.params.userId as string)),
  )
  // Who may refund is data: the policy file decides, and it can change while the API runs.
  app.post('/orders/:id/refund', auth, requireAction('orders.refund'), (req, res) => {
    const order = store.refund(Number(req.params.id))
    if (order) res.json(order)
    else res.status(404).json({ error: 'not_found' })
  })
  return app
}
