import express from 'express'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from 'oidc-guard/express'
import { createRedisDpopReplayStore } from 'oidc-guard/redis'
import { createDpopClient, type DpopClient } from '../helpers/dpop.js'
import { send } from '../helpers/http-send.js'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'
import { startRedis, type TestRedis } from '../../src/testing/redis-server.js'
import { createServer, type Server } from 'node:http'

// RFC 9449 §11.1 across instances: two API instances behind one public origin share a real
// redis-server, so a proof used at one is refused at the other.
const ORIGIN = 'https://api.example.com'
let provider: TestProvider
let redis: TestRedis
let client: DpopClient
let token: string
const servers: Server[] = []
const newClient = () => createClient({ url: redis.url, disableOfflineQueue: true })
const clients: ReturnType<typeof newClient>[] = []

async function instance(): Promise<string> {
  const redisClient = newClient()
  redisClient.on('error', () => {})
  await redisClient.connect()
  clients.push(redisClient)
  const app = express()
  app.get(
    '/orders',
    authenticate({
      issuer: provider.issuer,
      audience: RESOURCE,
      dpop: {
        origin: ORIGIN,
        replayStore: createRedisDpopReplayStore({ client: redisClient, timeout: 300 }),
      },
    }),
    (req, res) => void res.json({ client: req.auth?.clientId }),
  )
  const server = createServer(app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

beforeAll(async () => {
  ;[provider, redis, client] = await Promise.all([
    startProvider(),
    startRedis(),
    createDpopClient('ES256'),
  ])
  token = await provider.dpopToken('reader', (htu) => client.proof('POST', htu))
})
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    server.close()
  }
  for (const redisClient of clients) if (redisClient.isOpen) redisClient.destroy()
  await Promise.all([provider.close(), redis.stop()])
})

describe('DPoP replay store in Redis (oidc-guard/redis)', () => {
  it('refuses a proof replayed to a second instance, accepts fresh proofs at both', async () => {
    const [first, second] = [await instance(), await instance()]
    const call = (base: string, proof: string) =>
      send(`${base}/orders`, 'GET', { Authorization: `DPoP ${token}`, DPoP: proof })
    const proof = await client.proof('GET', `${ORIGIN}/orders`, token)
    expect((await call(first, proof)).status).toBe(200)
    const replayed = await call(second, proof)
    expect(replayed.status).toBe(401)
    expect(replayed.headers['www-authenticate']).toContain(
      'error="invalid_dpop_proof", error_description="The DPoP proof was already used"',
    )
    expect((await call(second, await client.proof('GET', `${ORIGIN}/orders`, token))).status).toBe(
      200,
    )
    // The proof's key is in Redis with a TTL no longer than the proof window (60 s + 5 s).
    const keys = await clients[0]!.keys('oidc-guard:dpop:*')
    expect(keys).toHaveLength(2)
    const ttl = await clients[0]!.pTTL(keys[0]!)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(65_000)
  })

  it('fails closed with 503 when Redis is too slow (paused), then when it is gone', async () => {
    const base = await instance()
    const call = async () =>
      send(`${base}/orders`, 'GET', {
        Authorization: `DPoP ${token}`,
        DPoP: await client.proof('GET', `${ORIGIN}/orders`, token),
      })
    const unavailable = {
      error: 'temporarily_unavailable',
      error_description: 'The DPoP replay check is temporarily unavailable',
    }
    // CLIENT PAUSE holds every write: the store's 300 ms timeout answers.
    await clients[0]!.sendCommand(['CLIENT', 'PAUSE', '1500', 'WRITE'])
    const slow = await call()
    expect(slow.status).toBe(503)
    expect(slow.headers['retry-after']).toBe('5')
    expect(slow.body).toEqual(unavailable)
    await clients[0]!.sendCommand(['CLIENT', 'UNPAUSE'])
    expect((await call()).status).toBe(200)
    await redis.stop()
    const gone = await call()
    expect(gone.status).toBe(503)
    expect(gone.body).toEqual(unavailable)
  })
})
