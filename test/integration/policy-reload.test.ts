import { readFile, rename, writeFile, mkdtemp } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPolicy, type AuthenticateOptions, type DecisionEvent, type Policy } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'

const EXAMPLE = fileURLToPath(new URL('../../examples/policy/orders-policy.yaml', import.meta.url))

interface App {
  url: string
  close(): Promise<void>
}

// The same orders API on each framework: route bindings decide GET /orders/:id (enforcePolicy),
// a named action decides refunds (requireAction); handlers answer with the version they ran under.
async function startApp(
  framework: string,
  options: AuthenticateOptions,
  policy: Policy,
): Promise<App> {
  const versionOf = (auth: unknown, request: object) =>
    policy.can(auth as never, 'orders.read', { request: request as never }).version
  let server: Server
  let close: () => Promise<void>
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(onFastify.authenticate, options)
    app.addHook('onRequest', app.authenticate)
    app.get('/orders/:id', { preHandler: onFastify.enforcePolicy() }, async (request) => ({
      version: versionOf(request.auth, request),
    }))
    app.get('/unbound', { preHandler: onFastify.enforcePolicy() }, async () => ({}))
    app.post(
      '/orders/:id/refund',
      { preHandler: onFastify.requireAction('orders.refund') },
      async (request) => ({ version: versionOf(request.auth, request) }),
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    server = app.server
    close = () => app.close()
  } else {
    let handler
    if (framework === 'express') {
      const app = express()
      app.use(onExpress.authenticate(options))
      app.get('/orders/:id', onExpress.enforcePolicy(), (req, res) => {
        res.json({ version: versionOf(req.auth, req) })
      })
      app.get('/unbound', onExpress.enforcePolicy(), (_req, res) => void res.json({}))
      app.post('/orders/:id/refund', onExpress.requireAction('orders.refund'), (req, res) => {
        res.json({ version: versionOf(req.auth, req) })
      })
      handler = app
    } else {
      const app = new Koa()
      const router = new Router()
      app.use(onKoa.authenticate(options))
      router.get('/orders/:id', onKoa.enforcePolicy(), (ctx) => {
        ctx.body = { version: versionOf(ctx.state.auth, ctx) }
      })
      router.get('/unbound', onKoa.enforcePolicy(), (ctx) => {
        ctx.body = {}
      })
      router.post('/orders/:id/refund', onKoa.requireAction('orders.refund'), (ctx) => {
        ctx.body = { version: versionOf(ctx.state.auth, ctx) }
      })
      app.use(router.routes())
      handler = app.callback()
    }
    server = createServer(handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    close = () => new Promise((resolve) => server.close(() => resolve()))
  }
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close }
}

let idp: TestProvider
let tokens: Record<'reader' | 'writer' | 'admin', string>
beforeAll(async () => {
  idp = await startProvider()
  const [reader, writer, admin] = await Promise.all([
    idp.token('reader'),
    idp.token('writer'),
    idp.token('admin'),
  ])
  tokens = { reader, writer, admin }
})
afterAll(() => idp.close())

interface Sample {
  status: number
  version?: number
  startedAfterUpdate: boolean
  startedAfterRejection: boolean
}

describe.each(['express', 'koa', 'fastify'])(
  'policy file rewritten under load on %s',
  (framework) => {
    it('switches versions with zero failures or 5xx; every decision names its version; an invalid version is refused', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'oidc-guard-reload-'))
      const file = join(dir, 'policy.yaml')
      const v1 = await readFile(EXAMPLE, 'utf8')
      await writeFile(file, v1)
      const policy = await loadPolicy({ file, watch: true })
      const events: DecisionEvent[] = []
      const app = await startApp(
        framework,
        {
          issuer: idp.issuer,
          audience: RESOURCE,
          policy,
          onDecision: (event) => void events.push(event),
        },
        policy,
      )
      let updated = false
      let rejected = false
      const swapped = new Promise<void>((resolve) =>
        policy.on('update', () => resolve(void (updated = true))),
      )
      const refused = new Promise<string>((resolve) =>
        policy.on('rejected', (event) => {
          rejected = true
          resolve(event.reason)
        }),
      )

      // Bounded load on loopback: 4 clients, at most 2,000 requests or 10 s.
      const samples: Sample[] = []
      const failures: unknown[] = []
      let stop = false
      const deadline = Date.now() + 10_000
      async function client() {
        while (!stop && samples.length + failures.length < 2000 && Date.now() < deadline) {
          const afterUpdate = updated
          const afterRejection = rejected
          try {
            const response = await fetch(`${app.url}/orders/2/refund`, {
              method: 'POST',
              headers: { authorization: `Bearer ${tokens.writer}` },
            })
            const body = (await response.json()) as { version?: number }
            samples.push({
              status: response.status,
              version: body.version,
              startedAfterUpdate: afterUpdate,
              startedAfterRejection: afterRejection,
            })
          } catch (error) {
            failures.push(error)
          }
        }
      }
      const clients = Promise.all([client(), client(), client(), client()])
      await new Promise((resolve) => setTimeout(resolve, 200))
      // Version 2: editors may refund too. Written as deploy tools do: a new file renamed over.
      const v2 = v1
        .replace('version: 1', 'version: 2')
        .replace(
          'allow: { permission: orders.refund }',
          'allow: { anyPermission: [orders.refund, orders.write] }',
        )
      await writeFile(`${file}.next`, v2)
      await rename(`${file}.next`, file)
      await swapped
      await new Promise((resolve) => setTimeout(resolve, 200))
      // Version 3 is broken (binds a route to an undeclared action): refused, version 2 serves on.
      await writeFile(
        file,
        v2
          .replace('version: 2', 'version: 3')
          .replace('GET /orders: orders.list', 'GET /orders: orders.lsit'),
      )
      const reason = await refused
      await new Promise((resolve) => setTimeout(resolve, 200))
      stop = true
      await clients

      try {
        expect(failures).toEqual([])
        expect(samples.length).toBeGreaterThan(20)
        expect(samples.filter((sample) => sample.status >= 500)).toEqual([])
        expect(new Set(samples.map((sample) => sample.status))).toEqual(new Set([403, 200]))
        // Before the swap the writer was refused; requests that started after it were allowed under v2.
        expect(
          samples.filter((sample) => !sample.startedAfterUpdate && sample.status === 403).length,
        ).toBeGreaterThan(0)
        const after = samples.filter((sample) => sample.startedAfterUpdate)
        expect(after.length).toBeGreaterThan(0)
        expect(after.every((sample) => sample.status === 200 && sample.version === 2)).toBe(true)
        expect(
          samples
            .filter((sample) => sample.startedAfterRejection)
            .every((sample) => sample.version === 2),
        ).toBe(true)
        expect(reason).toContain('routes.GET /orders: unknown action "orders.lsit"')
        expect(policy.version).toBe(2)

        const decisions = events.filter((event) => event.type === 'authorize')
        expect(decisions.length).toBe(samples.length)
        expect(
          decisions.every((event) => event.policyVersion === 1 || event.policyVersion === 2),
        ).toBe(true)
        expect(
          decisions
            .filter((event) => !event.allowed)
            .every(
              (event) =>
                event.policyVersion === 1 && event.reason === 'no rule allows orders.refund',
            ),
        ).toBe(true)
        expect(decisions.find((event) => event.allowed)).toMatchObject({
          policyVersion: 2,
          action: 'orders.refund',
          rule: 'refunds',
          inputs: { 'auth.roles': ['editor'], 'request.ip': '127.0.0.1' },
        })

        // Route bindings on the same app: bound path allowed, unbound path denied with "no rule".
        events.length = 0
        const read = await fetch(`${app.url}/orders/1`, {
          headers: { authorization: `Bearer ${tokens.reader}` },
        })
        expect(await read.json()).toEqual({ version: 2 })
        const unbound = await fetch(`${app.url}/unbound`, {
          headers: { authorization: `Bearer ${tokens.admin}` },
        })
        expect(unbound.status).toBe(403)
        const routed = events.filter((event) => event.type === 'authorize')
        expect(routed.map((event) => [event.route, event.action, event.reason])).toEqual([
          ['GET /orders/:id', 'orders.read', 'rule read-orders allows orders.read'],
          [undefined, undefined, 'no rule: no route binding matches this request'],
        ])
        const anonymous = await fetch(`${app.url}/orders/1`)
        expect(anonymous.status).toBe(401)
      } finally {
        policy.close()
        await app.close()
      }
    }, 30_000)
  },
)
