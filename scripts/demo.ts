/**
 * `npm start`: a real OpenID provider on 127.0.0.1, the example orders API protected by
 * oidc-guard, real tokens, and the curl commands to try, each checked once against the API.
 *
 *   npm start                          # Express on port 3000
 *   npm start -- --framework koa       # or fastify
 *   npm start -- --port 8080 --once    # check every command, then exit
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import type { DecisionEvent } from 'oidc-guard'
import { RESOURCE, startProvider } from '../src/testing/oidc-provider.js'
import { createExpressApp } from '../examples/express/app.js'
import { createFastifyApp } from '../examples/fastify/app.js'
import { createKoaApp } from '../examples/koa/app.js'
import { createExplorer, EXPLORER_CODE_FLOW } from '../examples/explorer/explorer.js'
import { createCodeFlow } from '../examples/code-flow.js'

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    port: { type: 'string', default: '3000' },
    once: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})
const framework = values.framework as string
if (!['express', 'koa', 'fastify'].includes(framework)) {
  console.error(`--framework must be express, koa or fastify (got ${framework})`)
  process.exit(2)
}

let printDecisions = false
function onDecision(event: DecisionEvent): void {
  explorer.record(event)
  if (!printDecisions || values.quiet) return
  const verdict = event.allowed ? 'allow' : `deny ${event.status}`
  const who = event.subject ? ` sub=${event.subject}` : ''
  const guard = event.guard ? ` ${event.guard}` : ''
  console.log(`  decision: ${event.type}${guard} ${verdict}${who} — ${event.reason}`)
}

async function listen(server: Server, port: number): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error
    console.log(`Port ${port} is busy; using a free one.`)
    return listen(server, 0)
  }
  return (server.address() as AddressInfo).port
}

const idp = await startProvider({
  accessTokenTTL: 3600,
  interactive: createCodeFlow(EXPLORER_CODE_FLOW, RESOURCE),
})
// The decision explorer (examples/explorer/): a web page on the API's port, under /explorer/.
const explorer = createExplorer({ issuer: idp.issuer, audience: RESOURCE })
const config = { issuer: idp.issuer, audience: RESOURCE, onDecision }
let server: Server
let close: () => Promise<void>
if (framework === 'fastify') {
  const app = await createFastifyApp(config)
  await app.ready()
  server = app.server
  close = () => app.close()
} else {
  const handler = framework === 'koa' ? createKoaApp(config).callback() : createExpressApp(config)
  server = createServer(handler)
  close = () => new Promise((resolve) => server.close(() => resolve()))
}
const port = await listen(server, Number(values.port))
const api = `http://127.0.0.1:${port}`
explorer.attach(server, api)

const [reader, writer, admin] = await Promise.all([
  idp.token('reader'),
  idp.token('writer'),
  idp.token('admin'),
])
const checks: {
  title: string
  method: 'GET' | 'POST'
  path: string
  token?: string
  expect: number
}[] = [
  { title: 'public health check', method: 'GET', path: '/health', expect: 200 },
  { title: 'the decision explorer page', method: 'GET', path: '/explorer/', expect: 200 },
  { title: 'no token', method: 'GET', path: '/orders', expect: 401 },
  { title: 'a malformed token', method: 'GET', path: '/orders', token: 'not-a-jwt', expect: 401 },
  {
    title: 'reader lists orders (orders:read)',
    method: 'GET',
    path: '/orders',
    token: reader,
    expect: 200,
  },
  {
    title: 'reader cannot create (needs orders:write)',
    method: 'POST',
    path: '/orders',
    token: reader,
    expect: 403,
  },
  { title: 'writer creates an order', method: 'POST', path: '/orders', token: writer, expect: 201 },
  {
    title: 'writer is not an admin',
    method: 'GET',
    path: '/admin/stats',
    token: writer,
    expect: 403,
  },
  {
    title: 'admin reads stats (role admin)',
    method: 'GET',
    path: '/admin/stats',
    token: admin,
    expect: 200,
  },
  {
    title: 'reader reads its own orders',
    method: 'GET',
    path: '/users/reader/orders',
    token: reader,
    expect: 200,
  },
  {
    title: "reader cannot read writer's orders",
    method: 'GET',
    path: '/users/writer/orders',
    token: reader,
    expect: 403,
  },
]

console.log(`\noidc-guard demo — ${framework}`)
console.log(`  identity provider: ${idp.issuer} (oidc-provider, tokens valid for 1 hour)`)
console.log(`  orders API:        ${api} (audience ${RESOURCE})`)
console.log(`  decision explorer: ${api}/explorer/ (sign in, call the API, see each decision)\n`)
printDecisions = true
let failures = 0
for (const check of checks) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (check.token) headers.authorization = `Bearer ${check.token}`
  const response = await fetch(`${api}${check.path}`, {
    method: check.method,
    headers,
    body: check.method === 'POST' ? JSON.stringify({ item: 'tea' }) : undefined,
  })
  const ok = response.status === check.expect
  if (!ok) failures += 1
  const challenge = response.headers.get('www-authenticate')
  const auth = check.token ? ` -H "Authorization: Bearer ${check.token}"` : ''
  const body =
    check.method === 'POST' ? ` -H "Content-Type: application/json" -d '{"item":"tea"}'` : ''
  console.log(`${ok ? '✓' : '✗'} ${check.title}: expect ${check.expect}, got ${response.status}`)
  if (challenge) console.log(`  WWW-Authenticate: ${challenge}`)
  if (!values.quiet) console.log(`  curl -i -X ${check.method} ${api}${check.path}${auth}${body}\n`)
}
console.log(`${checks.length - failures}/${checks.length} checks answered as expected.`)

if (values.once || failures > 0) {
  await close()
  await idp.close()
  process.exit(failures > 0 ? 1 : 0)
}
console.log('\nThe API keeps running; paste the curl commands above. Ctrl-C to stop.')
process.on('SIGINT', async () => {
  await close()
  await idp.close()
  process.exit(0)
})
