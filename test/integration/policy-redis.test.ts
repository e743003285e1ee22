import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPolicy, type Policy } from 'oidc-guard'
import { authenticate, enforcePolicy } from 'oidc-guard/express'
import {
  publishPolicyVersion,
  subscribePolicyUpdates,
  type PolicyRedisClient,
} from 'oidc-guard/redis'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'
import { startRedis, type TestRedis } from '../../src/testing/redis-server.js'

const documentFor = (version: number) => ({
  version,
  actions: { 'orders.read': null },
  rules: [{ id: `read-v${version}`, action: 'orders.read', allow: { scope: 'orders:read' } }],
  routes: { 'GET /orders/:id': 'orders.read' },
})

let redis: TestRedis
let idp: TestProvider
let token: string
let current = 1
let policyServer: Server
let policyUrl: string
beforeAll(async () => {
  ;[redis, idp] = await Promise.all([startRedis(), startProvider()])
  token = await idp.token('reader')
  policyServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', etag: `"v${current}"` })
    res.end(JSON.stringify(documentFor(current)))
  })
  await new Promise<void>((resolve) => policyServer.listen(0, '127.0.0.1', resolve))
  policyUrl = `http://127.0.0.1:${(policyServer.address() as AddressInfo).port}/policy`
}, 30_000)
afterAll(async () => {
  await new Promise((resolve) => policyServer.close(resolve))
  await Promise.all([redis.stop(), idp.close()])
})

async function instance() {
  // A one-minute poll: only the Redis announcement can bring the new version within a second.
  const policy: Policy = await loadPolicy({ url: policyUrl, interval: 60_000 })
  const client = createClient({ url: redis.url, disableOfflineQueue: true })
  client.on('error', () => {})
  await client.connect()
  const subscription = await subscribePolicyUpdates(policy, client as unknown as PolicyRedisClient)
  const app = express()
  app.use(authenticate({ issuer: idp.issuer, audience: RESOURCE, policy }))
  app.get('/orders/:id', enforcePolicy(), (req, res) => {
    res.json({ version: policy.can(req.auth!, 'orders.read', { request: req }).version })
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders/1`
  return {
    client,
    async version() {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      return ((await response.json()) as { version: number }).version
    },
    async close() {
      await subscription.close()
      await client.close()
      policy.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('policy versions pushed through Redis (real redis-server)', () => {
  it('two app instances serve a published version within a second', async () => {
    const [a, b] = await Promise.all([instance(), instance()])
    try {
      expect([await a.version(), await b.version()]).toEqual([1, 1])
      current = 2
      const published = Date.now()
      expect(await publishPolicyVersion(a.client, 2)).toBe(2)
      // Bounded wait: at most 1 s, polling both instances on loopback.
      let versions: number[] = []
      while (Date.now() - published < 1000) {
        versions = await Promise.all([a.version(), b.version()])
        if (versions.every((version) => version === 2)) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(versions).toEqual([2, 2])
      expect(Date.now() - published).toBeLessThan(1000)
      // Noise on the channel (malformed, or the running version) changes nothing.
      await a.client.publish('oidc-guard:policy', 'not json')
      await a.client.publish('oidc-guard:policy', JSON.stringify({ version: { nested: true } }))
      await publishPolicyVersion(a.client, 2)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect([await a.version(), await b.version()]).toEqual([2, 2])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  }, 30_000)
})
