import Fastify from 'fastify'
import { authenticate, requireAction, requireClaim } from 'oidc-guard/fastify'
import { createOrdersStore, type ExampleConfig } from '../orders-store.js'

/** The orders API on Fastify: requirements as route config, or hooks where code is needed. */
export async function createFastifyApp(config: ExampleConfig) {
  const store = createOrdersStore()
  const app = Fastify()
  await app.register(authenticate, config)
  const isOwner = requireClaim(
    'sub',
    (sub, _auth, req) => sub === (req.params as { userId: string }).userId,
  )

  app.get('/health', async () => ({ status: 'ok' }))
  app.get('/orders', { config: { auth: { scope: 'orders:read' } } }, async () => store.all())
  app.post('/orders', { config: { auth: { scope: 'orders:write' } } }, async (request, reply) => {
    return reply
      .code(201)
      .send(store.add(request.auth!.subject!, (request.body as { item?: unknown } | null)?.item))
  })
  app.get('/admin/stats', { config: { auth: { role: 'admin' } } }, async () => store.stats())
  app.get<{ Params: { userId: string } }>(
    '/users/:userId/orders',
    { onRequest: app.authenticate, preHandler: isOwner },
    async (request) => store.ownedBy(request.params.userId),
  )
  // Who may refund is data: the policy file decides, and it can change while the API runs.
  app.post<{ Params: { id: string } }>(
    '/orders/:id/refund',
    { onRequest: app.authenticate, preHandler: requireAction('orders.refund') },
    async (request, reply) => {
      const order = store.refund(Number(request.params.id))
      return order ? order : reply.code(404).send({ error: 'not_found' })
    },
  )
  return app
}
