/**
 * One DPoP bench contender in its own process (see bench/dpop.ts): Express with oidc-guard or
 * with express-oauth2-jwt-bearer, each accepting DPoP. Reports its port and CPU over IPC.
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { authenticate, requireScope } from '../adapters/express/index.js'

const require = createRequire(import.meta.url)
const [name, issuer, audience] = process.argv.slice(2) as [string, string, string]
const ORDERS = [{ id: 1, item: 'coffee' }]

const app = express()
if (name === 'oidc-guard') {
  app.get(
    '/orders',
    // The replay store is sized for the bench's proofs per window (at most ~60 s × 10,000/s).
    authenticate({ issuer, audience, dpop: { replayCacheSize: 600_000 } }),
    requireScope('orders:read'),
    (_req, res) => void res.json(ORDERS),
  )
} else {
  const { auth, requiredScopes } = require('express-oauth2-jwt-bearer')
  app.get(
    '/orders',
    auth({ issuerBaseURL: issuer, audience, dpop: { enabled: true, required: false } }),
    requiredScopes('orders:read'),
    (_req: unknown, res: express.Response) => void res.json(ORDERS),
  )
}
const server = createServer(app)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() })
  if (message === 'exit') process.exit(0)
})
process.send?.({ port: (server.address() as AddressInfo).port })
