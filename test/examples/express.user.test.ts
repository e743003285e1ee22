// The README's Express test, as a user writes it (vitest + supertest). The three lines inside
// each test are the whole setup: no jose, no key files, no fake fetch to write.
import { createTestIssuer } from 'oidc-guard/testing'
import request from 'supertest'
import { test } from 'vitest'
import { createExpressApp } from '../../examples/express/app.js'

test('GET /orders answers 200 with orders:read', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api' })
  const app = createExpressApp(issuer.options)
  await request(app)
    .get('/orders')
    .auth(issuer.token({ scope: 'orders:read' }), { type: 'bearer' })
    .expect(200)
})

test('POST /orders answers 403 without orders:write, 401 to an expired token', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api' })
  const app = createExpressApp(issuer.options)
  await request(app)
    .post('/orders')
    .auth(issuer.token({ scope: 'orders:read' }), { type: 'bearer' })
    .expect(403)
    .expect('www-authenticate', /error="insufficient_scope".*scope="orders:write"/)
  await request(app).get('/orders').auth(issuer.token.expired(), { type: 'bearer' }).expect(401)
})
