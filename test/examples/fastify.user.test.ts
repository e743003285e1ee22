// The README's Fastify test, as a user writes it with jest or vitest (the same code; jest needs
// no import line) and fastify.inject: no socket anywhere.
import { createTestIssuer } from 'oidc-guard/testing'
import { expect, test } from 'vitest'
import { createFastifyApp } from '../../examples/fastify/app.js'

test('GET /orders answers 200 with orders:read', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api' })
  const app = await createFastifyApp(issuer.options)
  expect(
    (
      await app.inject({
        url: '/orders',
        headers: { authorization: `Bearer ${issuer.token({ scope: 'orders:read' })}` },
      })
    ).statusCode,
  ).toBe(200)
})

test('GET /admin/stats needs the admin role; a token for another API gets 401', async () => {
  const issuer = await createTestIssuer({ audience: 'orders-api' })
  const app = await createFastifyApp(issuer.options)
  const get = (token: string) =>
    app.inject({ url: '/admin/stats', headers: { authorization: `Bearer ${token}` } })
  expect((await get(issuer.token({ roles: ['admin'] }))).statusCode).toBe(200)
  expect((await get(issuer.token({ roles: ['viewer'] }))).statusCode).toBe(403)
  expect((await get(issuer.token.wrongAudience({ roles: ['admin'] }))).statusCode).toBe(401)
  await app.close()
})
