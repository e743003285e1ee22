// Run by shutdown.test.ts in its own process: close() while the JWKS fetch is in flight, then
// report, and let the process exit on its own (a leftover socket or timer would keep it alive).
import { createAuthenticator } from '../../src/index.js'

const auth = createAuthenticator({
  issuer: process.env.ISSUER as string,
  audience: 'orders-api',
  jwksUri: process.env.JWKS_URI as string,
  timeoutDuration: 60_000,
  onWarning: () => {},
  // close() once the JWKS request is on its way.
  fetch: (url, init) => {
    setTimeout(() => auth.close(), Number(process.env.CLOSE_AFTER_MS))
    return fetch(url, init)
  },
})
const outcome = auth
  .authenticate({ method: 'GET', headers: { authorization: `Bearer ${process.env.TOKEN}` } })
  .then(
    () => 200,
    (error: { status?: number }) => error.status ?? 500,
  )
const status = await outcome
// Long enough for a slow endpoint to answer: a fetch that survived close() would install keys.
await new Promise((resolve) => setTimeout(resolve, Number(process.env.WAIT_MS)))
process.stdout.write(JSON.stringify({ status, keys: auth.stats().keys }))
