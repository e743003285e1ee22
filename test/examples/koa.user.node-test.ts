// The README's Koa test, as a user writes it with node:test and supertest. Run by
// test/examples/koa.user.test.ts through `node --test`, exactly as a user's runner would.
import { test } from 'node:test'
import { createTestIssuer } from 'oidc-guard/testing'
import request from 'supertest'
import { createKoaApp } from '../../examples/koa/app.js'

test('GET /orders answers 200 with orders:read', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api' })
  const app = createKoaApp(issuer.options)
  await request(app.callback())
    .get('/orders')
    .auth(issuer.token({ scope: 'orders:read' }), { type: 'bearer' })
    .expect(200)
})

test('GET /users/:id/orders serves only the token subject; a bad signature gets 401', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api', subject: 'reader' })
  const app = createKoaApp(issuer.options).callback()
  const token = issuer.token()
  await request(app).get('/users/reader/orders').auth(token, { type: 'bearer' }).expect(200)
  await request(app).get('/users/writer/orders').auth(token, { type: 'bearer' }).expect(403)
  await request(app)
    .get('/orders')
    .auth(issuer.token.badSignature(), { type: 'bearer' })
    .expect(401)
})
