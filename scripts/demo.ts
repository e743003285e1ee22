/**
 * `npm start`: a real OpenID provider on 127.0.0.1, the example orders API protected by
 * oidc-guard, real tokens, and the curl commands to try, each checked once against the API.
 *
 *   npm start                          # Express on port 3000
 *   npm start -- --framework koa       # or fastify
 *   npm start -- --port 8080 --once    # check every command, then exit
 *
 * Refunds are decided by a policy file (examples/policy/orders-policy.yaml, copied to a temporary
 * directory): the demo edits it while the API runs and shows the decision flip, without a restart.
 */
import { appendFileSync } from 'node:fs'
import { copyFile, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadPolicy, type DecisionEvent, type Policy } from 'oidc-guard'
import { replayCommand } from '../src/cli/commands.js'
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

const workDir = await mkdtemp(join(tmpdir(), 'oidc-guard-demo-'))
const policyFile = join(workDir, 'orders-policy.yaml')
const decisionLog = join(workDir, 'decisions.ndjson')
await copyFile(
  fileURLToPath(new URL('../examples/policy/orders-policy.yaml', import.meta.url)),
  policyFile,
)
const policy: Policy = await loadPolicy({ file: policyFile, watch: true })

let printDecisions = false
function onDecision(event: DecisionEvent): void {
  explorer.record(event)
  // Policy decisions are kept as NDJSON, ready for `oidc-guard replay`.
  if (event.policyVersion !== undefined) appendFileSync(decisionLog, `${JSON.stringify(event)}\n`)
  if (!printDecisions || values.quiet) return
  const verdict = event.allowed ? 'allow' : `deny ${event.status}`
  const who = event.subject ? ` sub=${event.subject}` : ''
  const guard = event.guard ? ` ${event.guard}` : ''
  const version =
    event.policyVersion === undefined
      ? ''
      : ` [policy v${event.policyVersion}, ${event.rule ? `rule ${event.rule}` : 'no rule'}]`
  console.log(`  decision: ${event.type}${guard} ${verdict}${who}${version} — ${event.reason}`)
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
const explorer = createExplorer({ issuer: idp.issuer, audience: RESOURCE, policy })
const config = { issuer: idp.issuer, audience: RESOURCE, onDecision, policy }
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
type Check = (typeof checks)[number]
async function run(check: Check): Promise<boolean> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (check.token) headers.authorization = `Bearer ${check.token}`
  const response = await fetch(`${api}${check.path}`, {
    method: check.method,
    headers,
    body: check.method === 'POST' ? JSON.stringify({ item: 'tea' }) : undefined,
  })
  const ok = response.status === check.expect
  const challenge = response.headers.get('www-authenticate')
  const auth = check.token ? ` -H "Authorization: Bearer ${check.token}"` : ''
  const body =
    check.method === 'POST' ? ` -H "Content-Type: application/json" -d '{"item":"tea"}'` : ''
  console.log(`${ok ? '✓' : '✗'} ${check.title}: expect ${check.expect}, got ${response.status}`)
  if (challenge) console.log(`  WWW-Authenticate: ${challenge}`)
  if (!values.quiet) console.log(`  curl -i -X ${check.method} ${api}${check.path}${auth}${body}\n`)
  return ok
}

let failures = 0
for (const check of checks) if (!(await run(check))) failures += 1
console.log(`${checks.length - failures}/${checks.length} checks answered as expected.`)

// Policy as data: refunds are decided by the policy file, which changes while the API runs.
function nextPolicyEvent(): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('no policy event within 5 s'), 5000)
    const offUpdate = policy.on('update', (event) =>
      done(`policy updated: version ${event.previous} → ${event.version} (no restart)`),
    )
    const offRejected = policy.on('rejected', (event) =>
      done(
        `policy refused, version ${policy.version} keeps serving: ${event.reason.split('\n').join(' ')}`,
      ),
    )
    function done(message: string) {
      clearTimeout(timer)
      offUpdate()
      offRejected()
      resolve(message)
    }
  })
}
async function replaceFile(text: string): Promise<void> {
  // As deploy tools do: write a new file, then rename it over the old one.
  await writeFile(`${policyFile}.next`, text)
  await rename(`${policyFile}.next`, policyFile)
}
const refund = (title: string, token: string, expect: number): Check => ({
  title,
  method: 'POST',
  path: '/orders/2/refund',
  token,
  expect,
})
console.log(`\nPolicy as data — refunds are decided by ${policyFile} (version ${policy.version})\n`)
let policyFailures = 0
const policyChecks = [
  refund('writer (editor) cannot refund under version 1', writer, 403),
  refund('admin refunds under version 1 (rule refunds)', admin, 200),
]
for (const check of policyChecks) if (!(await run(check))) policyFailures += 1
const v1 = await readFile(policyFile, 'utf8')
const v2 = v1
  .replace('version: 1', 'version: 2')
  .replace(
    'allow: { permission: orders.refund }',
    'allow: { anyPermission: [orders.refund, orders.write] }',
  )
console.log(`Editing ${policyFile}: editors may refund too (version 2)…`)
const updated = nextPolicyEvent()
await copyFile(decisionLog, join(workDir, 'decisions-v1.ndjson'))
await replaceFile(v2)
console.log(`  ${await updated}\n`)
const flip = refund('writer refunds under version 2 (decision flipped)', writer, 200)
policyChecks.push(flip)
if (!(await run(flip))) policyFailures += 1
console.log('Editing it again with a mistake (an unknown action, version 3)…')
const refused = nextPolicyEvent()
await replaceFile(
  v2
    .replace('version: 2', 'version: 3')
    .replace('POST /orders: orders.create', 'POST /orders: orders.craete'),
)
console.log(`  ${await refused}\n`)
const kept = refund('writer still refunds: version 2 keeps serving', writer, 200)
policyChecks.push(kept)
if (!(await run(kept))) policyFailures += 1
console.log(
  `${policyChecks.length - policyFailures}/${policyChecks.length} policy checks answered as expected.`,
)
failures += policyFailures
await replaceFile(v2)
console.log(`\nWhat version 2 changes for the decisions recorded under version 1:`)
console.log(
  `  npx oidc-guard replay --policy ${policyFile} ${join(workDir, 'decisions-v1.ndjson')}`,
)
await replayCommand(
  { policy: policyFile, decisions: join(workDir, 'decisions-v1.ndjson'), failOnChange: false },
  { out: (line) => console.log(`  ${line}`), err: (line) => console.error(`  ${line}`) },
)

if (values.once || failures > 0) {
  policy.close()
  await close()
  await idp.close()
  process.exit(failures > 0 ? 1 : 0)
}
console.log('\nThe API keeps running; paste the curl commands above. Ctrl-C to stop.')
console.log(`Edit ${policyFile} and watch refunds follow it.`)
process.on('SIGINT', async () => {
  policy.close()
  await close()
  await idp.close()
  process.exit(0)
})
