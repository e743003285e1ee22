import { createClient } from 'redis'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDenylist, type DecisionEvent, type Denylist } from 'oidc-guard'
import { createRedisDenylistStore } from 'oidc-guard/redis'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { AUDIENCE, claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import {
  startLink,
  startRedis,
  type CuttableLink,
  type TestRedis,
} from '../../src/testing/redis-server.js'
import {
  buildApp,
  FRAMEWORK_NAMES,
  type Framework,
  type RunningApp,
} from '../helpers/route-apps.js'

let redis: TestRedis
let jwks: JwksServer
let key: TestKey
const propagation: Record<string, number> = {}

beforeAll(async () => {
  redis = await startRedis({ persist: true })
  jwks = await startJwksServer()
  key = await createTestKey()
  jwks.keys = [key.publicJwk]
})
afterAll(async () => {
  await jwks.close()
  await redis.close()
  // The measured propagation, for the report (no speed assertion beyond the second).
  console.info('revocation propagation A -> B (ms):', propagation)
})

interface Instance {
  readonly app: RunningApp
  readonly denylist: Denylist
  readonly events: DecisionEvent[]
  close(): Promise<void>
}

async function instance(
  framework: Framework,
  url: string,
  options: { failOpen?: boolean; keyPrefix?: string } = {},
): Promise<Instance> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50, connectTimeout: 500 },
  })
  const denylist = createDenylist({
    store: createRedisDenylistStore({ client, keyPrefix: options.keyPrefix, retryDelay: 50 }),
    failOpen: options.failOpen,
  })
  await denylist.ready()
  const events: DecisionEvent[] = []
  const app = await buildApp(framework, [
    {
      path: '/orders',
      options: {
        issuer: jwks.issuer,
        audience: AUDIENCE,
        jwksUri: jwks.jwksUri,
        denylist,
        onDecision: (event) => events.push(event),
      },
    },
  ])
  return {
    app,
    denylist,
    events,
    async close() {
      await app.close()
      await denylist.close()
      client.destroy()
    },
  }
}

const token = (overrides: Record<string, unknown>) =>
  sign(key, claims({ iss: jwks.issuer, ...overrides }))
const call = (target: Instance, bearer: string) =>
  request(target.app.server).get('/orders').set('Authorization', `Bearer ${bearer}`)

async function waitFor(check: () => boolean | Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await check()) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`condition not met within ${limitMs} ms`)
}

describe.each(FRAMEWORK_NAMES)('a denylist shared through a real Redis, on %s', (framework) => {
  let a: Instance
  let b: Instance
  let link: CuttableLink

  beforeAll(async () => {
    // B reaches Redis through a link the test can cut; A connects directly.
    link = await startLink(redis.port)
    const keyPrefix = `test:${framework}`
    a = await instance(framework, redis.url, { keyPrefix })
    b = await instance(framework, link.url, { keyPrefix })
  })
  afterAll(async () => {
    await a.close()
    await b.close()
    await link.close()
  })

  it('a revocation on instance A is enforced on instance B within a second (B had the token cached)', async () => {
    const bearer = await token({ sub: `user-${framework}`, jti: `jti-${framework}` })
    await call(a, bearer).expect(200)
    await call(b, bearer).expect(200)
    const started = performance.now()
    await a.denylist.revoke({ jti: `jti-${framework}` })
    await call(a, bearer).expect(401)
    await waitFor(async () => (await call(b, bearer)).status === 401, 1000)
    propagation[framework] = Math.round(performance.now() - started)
    const refused = await call(b, bearer)
    expect(refused.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token was revoked',
    })
  })

  it('B fails closed (503, reason in the event) while cut off from Redis, and catches up on reconnection', async () => {
    const bearer = await token({ sub: `cut-${framework}` })
    await call(b, bearer).expect(200)
    link.cut()
    await waitFor(() => !b.denylist.available, 2000)
    const refused = await call(b, bearer)
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(refused.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The revocation list is unavailable: Redis is unreachable',
    })
    expect(b.events.at(-1)).toMatchObject({
      allowed: false,
      status: 503,
      reason: 'The revocation list is unavailable: Redis is unreachable',
    })
    // Revoked on A while B cannot hear the message.
    await a.denylist.revoke({ sub: `cut-${framework}` })
    link.restore()
    await waitFor(() => b.denylist.available, 3000)
    await call(b, bearer).expect(401)
    const other = await token({ sub: `other-${framework}` })
    await call(b, other).expect(200)
  })

  it('Redis stopped: both fail closed without crashing; restarted: both recover with the entries kept', async () => {
    const revoked = await token({ sub: `stop-${framework}` })
    const fine = await token({ sub: `fine-${framework}` })
    await a.denylist.revoke({ sub: `stop-${framework}` })
    await waitFor(async () => (await call(b, revoked)).status === 401, 1000)
    await redis.stop()
    await waitFor(() => !a.denylist.available && !b.denylist.available, 2000)
    await call(a, fine).expect(503)
    await call(b, fine).expect(503)
    await expect(a.denylist.revoke({ sub: 'anyone' })).rejects.toThrow()
    await redis.start()
    await waitFor(() => a.denylist.available && b.denylist.available, 5000)
    await call(a, fine).expect(200)
    await call(b, fine).expect(200)
    await call(b, revoked).expect(401)
  })
})

describe('failOpen and permission invalidation through Redis', () => {
  it('a fail-open denylist keeps answering from its entries while Redis is cut off', async () => {
    const link = await startLink(redis.port)
    const open = await instance('express', link.url, { failOpen: true, keyPrefix: 'test:open' })
    const bearer = await token({ sub: 'open-user' })
    link.cut()
    await waitFor(() => !open.denylist.available, 2000)
    await call(open, bearer).expect(200)
    await open.close()
    await link.close()
  })

  it('invalidatePermissions() on one instance drops the grant on the other', async () => {
    const grants = new Map([['perm-user', ['reader']]])
    const build = async () => {
      const client = createClient({ url: redis.url, disableOfflineQueue: true })
      const denylist = createDenylist({
        store: createRedisDenylistStore({ client, keyPrefix: 'test:perm' }),
      })
      await denylist.ready()
      const app = await buildApp('express', [
        {
          path: '/orders',
          options: {
            issuer: jwks.issuer,
            audience: AUDIENCE,
            jwksUri: jwks.jwksUri,
            denylist,
            permissions: { resolve: (auth) => ({ roles: grants.get(auth.subject ?? '') ?? [] }) },
          },
        },
      ])
      return { app, denylist, client }
    }
    const first = await build()
    const second = await build()
    const bearer = await token({ sub: 'perm-user' })
    const roles = async (target: typeof first) =>
      (await request(target.app.server).get('/orders').set('Authorization', `Bearer ${bearer}`))
        .body.roles
    expect(await roles(second)).toEqual(['reader'])
    grants.set('perm-user', ['reader', 'writer'])
    expect(await roles(second)).toEqual(['reader'])
    await first.denylist.invalidatePermissions('perm-user')
    await waitFor(async () => (await roles(second)).includes('writer'), 1000)
    for (const target of [first, second]) {
      await target.app.close()
      await target.denylist.close()
      target.client.destroy()
    }
  })

  it('the store connects the given client, refuses anything else, and leaves the client open on close', async () => {
    expect(() =>
      createRedisDenylistStore({} as Parameters<typeof createRedisDenylistStore>[0]),
    ).toThrow(/node-redis client/)
    const client = createClient({ url: redis.url, disableOfflineQueue: true })
    const denylist = createDenylist({ store: createRedisDenylistStore({ client }) })
    await denylist.ready()
    expect(client.isOpen).toBe(true)
    await denylist.revoke({ clientId: 'leaked-client' })
    expect(denylist.size).toBe(1)
    expect(await client.zCard('oidc-guard:denylist:entries')).toBe(1)
    await denylist.close()
    expect(client.isOpen).toBe(true)
    client.destroy()
  })
})
