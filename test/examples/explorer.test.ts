import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPolicy } from 'oidc-guard'
import {
  DEFAULT_CLIENTS,
  RESOURCE,
  startProvider,
  type TestProvider,
} from '../../src/testing/oidc-provider.js'
import { createCodeFlow } from '../../examples/code-flow.js'
import { createExpressApp } from '../../examples/express/app.js'
import { createExplorer, EXPLORER_CODE_FLOW } from '../../examples/explorer/explorer.js'

// The demo's stack, assembled as scripts/demo.ts does, plus a client whose tokens live 1 s so
// the test can paste a really expired token signed by the provider's own key.
const OUTPUT = fileURLToPath(new URL('../.output/', import.meta.url))
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/

let idp: TestProvider
let server: Server
let explorerUrl: string
let browser: Browser
let page: Page
let expired: string
const external: string[] = []

beforeAll(async () => {
  idp = await startProvider({
    accessTokenTTL: 3600,
    interactive: createCodeFlow(EXPLORER_CODE_FLOW, RESOURCE),
    clients: [
      ...DEFAULT_CLIENTS,
      { clientId: 'short-lived', scopes: 'orders:read', accessTokenTTL: 1 },
    ],
  })
  // The demo's policy file: the refund route is decided by it.
  const policy = await loadPolicy({
    file: fileURLToPath(new URL('../../examples/policy/orders-policy.yaml', import.meta.url)),
  })
  const explorer = createExplorer({ issuer: idp.issuer, audience: RESOURCE, policy })
  const app = createExpressApp({
    issuer: idp.issuer,
    audience: RESOURCE,
    policy,
    onDecision: (event) => explorer.record(event),
  })
  server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  explorer.attach(server, origin)
  explorerUrl = `${origin}/explorer/`
  expired = await idp.token('short-lived')
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:')) external.push(request.url())
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await idp?.close()
})

async function send(route: string): Promise<void> {
  await page.getByLabel('Request', { exact: true }).selectOption(route)
  await page.getByRole('button', { name: 'Send request' }).click()
}

// Fails the test (by timeout) unless the element appears.
const shown = (locator: Locator) => locator.waitFor({ state: 'visible', timeout: 15_000 })

const entry = (title: RegExp) =>
  page.locator('article.decision').filter({ has: page.getByRole('heading', { name: title }) })

describe('decision explorer in Chromium (npm start → /explorer/)', () => {
  it('signs in with PKCE, explains an allowed call, a denied call and a pasted expired token, signs out', async () => {
    await page.goto(explorerUrl)
    expect(await page.locator('#privacy').innerText()).toContain(
      'Tokens never leave this demo process.',
    )

    // Keyboard only: the sign-in link, then the provider's sign-in form.
    await page.getByRole('link', { name: 'Sign in' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/interaction\//)
    expect(new URL(page.url()).port).toBe(new URL(idp.issuer).port)
    await page.getByRole('radio', { name: /Riley Reader/ }).focus()
    await page.keyboard.press('Space')
    await page.getByRole('button', { name: 'Sign in' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(explorerUrl)
    await shown(page.getByText('Signed in as Riley Reader'))

    await send('GET /orders')
    const allowed = entry(/GET \/orders → 200 OK/)
    await shown(allowed)
    expect(await allowed.getByText('Allowed: token has every required scope').isVisible()).toBe(
      true,
    )
    expect(await allowed.locator('table').innerText()).toContain('requireScope(orders:read)')

    await send('POST /orders')
    const denied = entry(/POST \/orders → 403 Forbidden/)
    await shown(denied)
    const deniedText = await denied.innerText()
    expect(deniedText).toContain('✗ fail requireScope(orders:write)')
    expect(deniedText).toMatch(/token scopes\s+orders:read/)
    expect(deniedText).toContain(
      'Denied: token lacks scope orders:write (reason code insufficient_scope)',
    )
    expect(deniedText).toContain(
      'www-authenticate: Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", scope="orders:write"',
    )

    // A route the policy file decides: the API's own event names the version, action and rule.
    await send('POST /orders/1/refund')
    const refused = entry(/POST \/orders\/1\/refund → 403 Forbidden/)
    await shown(refused)
    const refusedText = await refused.innerText()
    expect(refusedText).toContain('✗ fail requireAction(orders.refund)')
    expect(refusedText).toContain('v1 orders.refund: rule none (deny by default)')

    // Past its exp plus the 5 s clock tolerance, the short-lived token is expired for real.
    const exp = JSON.parse(Buffer.from(expired.split('.')[1] as string, 'base64url').toString()).exp
    const wait = exp * 1000 + 6_000 - Date.now()
    expect(wait).toBeLessThan(15_000)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    await page.getByLabel('Access token (JWT)').fill(expired)
    await page.getByLabel('Route').selectOption('GET /orders')
    await page.getByRole('button', { name: 'Explain the decision' }).click()
    const explained = page.locator('#explained')
    await shown(explained.getByRole('heading', { name: /denied, 401/ }))
    const explainedText = await explained.innerText()
    expect(explainedText).toContain('✗ fail The token is within its lifetime (nbf, iat, exp)')
    expect(explainedText).toContain('✓ pass The signature verifies')
    expect(explainedText).toContain('reason code expired')
    expect(explainedText).toContain(
      'error="invalid_token", error_description="The access token expired"',
    )
    // The page never carries a token: not the session's, not the pasted one.
    expect(await page.content()).not.toMatch(JWT)

    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: `${OUTPUT}explorer.png`, fullPage: true })

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL(explorerUrl)
    await shown(page.getByRole('link', { name: 'Sign in' }))
    expect(await page.getByText('No requests yet.').isVisible()).toBe(true)
    expect(external).toEqual([])
  }, 90_000)
})
