import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import { createServer as createHttpServer, type Server } from 'node:http'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthenticateOptions } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js'
import { send } from '../helpers/http-send.js'
import { claims, createTestKey, sign, type TestKey } from '../helpers/keys.js'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'

// RFC 8705 §3: a certificate-bound token (cnf.x5t#S256) is accepted only over a connection whose
// client certificate has that SHA-256 thumbprint: from the TLS socket, or from a trusted proxy.
let jwks: JwksServer
let key: TestKey
let server: TestCertificate
let alice: TestCertificate
let mallory: TestCertificate
let boundToAlice: string
const closers: (() => unknown)[] = []

beforeAll(async () => {
  ;[jwks, key] = await Promise.all([startJwksServer(), createTestKey('ES256')])
  jwks.keys = [key.publicJwk]
  server = makeCertificate('127.0.0.1', '127.0.0.1')
  alice = makeCertificate('alice')
  mallory = makeCertificate('mallory')
  boundToAlice = await sign(
    key,
    claims({ iss: jwks.issuer, cnf: { 'x5t#S256': alice.thumbprint } }),
  )
})
afterAll(async () => {
  for (const close of closers) await close()
  await jwks.close()
})

const options = (): AuthenticateOptions => ({
  issuer: jwks.issuer,
  audience: 'orders-api',
  jwksUri: jwks.jwksUri,
})
// Self-signed client certificates (RFC 8705 §2.2): the TLS layer asks for one and proves the
// client holds its key; the binding, not a CA, decides which certificate is right.
const tls = () => ({
  cert: server.cert,
  key: server.key,
  requestCert: true,
  rejectUnauthorized: false,
})

async function listen(app: Server): Promise<string> {
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  closers.push(() => {
    app.closeAllConnections()
    app.close()
  })
  return `https://127.0.0.1:${(app.address() as { port: number }).port}`
}

const servers: Record<string, () => Promise<string>> = {
  async express() {
    const app = express()
    app.get(
      '/orders',
      onExpress.authenticate(options()),
      (req, res) => void res.json({ sub: req.auth?.subject }),
    )
    return listen(createHttpsServer(tls(), app))
  },
  async koa() {
    const app = new Koa()
    app.use(onKoa.authenticate(options()))
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.subject }
    })
    return listen(createHttpsServer(tls(), app.callback()))
  },
  async fastify() {
    const app = Fastify({ https: tls() })
    await app.register(onFastify.authenticate, options())
    app.get('/orders', { onRequest: app.authenticate }, async (request) => ({
      sub: request.auth?.subject,
    }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => app.close())
    return `https://127.0.0.1:${(app.server.address() as { port: number }).port}`
  },
}

function tlsGet(url: string, token: string, client?: TestCertificate) {
  return new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        headers: { Authorization: `Bearer ${token}` },
        ca: server.cert,
        agent: false,
        ...(client && { cert: client.cert, key: client.key }),
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }),
        )
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const MISMATCH =
  'Bearer realm="api", error="invalid_token", error_description="The client certificate does not match the certificate the access token is bound to"'

describe.each(Object.keys(servers))(
  'RFC 8705 §3 over TLS with client certificates on %s',
  (name) => {
    let url: string
    beforeAll(async () => {
      url = `${await servers[name]!()}/orders`
    })

    it('accepts the bound token with its certificate', async () => {
      expect(await tlsGet(url, boundToAlice, alice)).toEqual({ status: 200, challenge: undefined })
    })

    it('refuses it with another certificate, and without one (401 invalid_token)', async () => {
      expect(await tlsGet(url, boundToAlice, mallory)).toEqual({ status: 401, challenge: MISMATCH })
      expect(await tlsGet(url, boundToAlice)).toEqual({ status: 401, challenge: MISMATCH })
    })

    it('leaves unbound tokens alone', async () => {
      const unbound = await sign(key, claims({ iss: jwks.issuer }))
      expect((await tlsGet(url, unbound, mallory)).status).toBe(200)
    })
  },
)

describe('RFC 8705 §3 behind a TLS-terminating proxy (certificate header)', () => {
  let url: string
  beforeAll(async () => {
    const app = express()
    app.get(
      '/orders',
      onExpress.authenticate({
        ...options(),
        mtls: { certificateHeader: 'X-SSL-Client-Cert', trustedProxies: ['127.0.0.1'] },
      }),
      (_req, res) => void res.json({ ok: true }),
    )
    const http = createHttpServer(app)
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    closers.push(() => {
      http.closeAllConnections()
      http.close()
    })
    url = `http://127.0.0.1:${(http.address() as { port: number }).port}/orders`
  })
  const get = (headers: Record<string, string>, localAddress = '127.0.0.1') =>
    send(url, 'GET', { Authorization: `Bearer ${boundToAlice}`, ...headers }, localAddress)

  it('accepts the certificate as nginx ($ssl_client_escaped_cert), PEM, DER base64 and Envoy XFCC', async () => {
    const pemBody = alice.der.toString('base64')
    for (const value of [
      encodeURIComponent(alice.cert),
      alice.cert.replaceAll('\n', ' '),
      pemBody,
      `By=spiffe://api;Hash=${'0'.repeat(64)};Cert="${encodeURIComponent(alice.cert)}";Subject="CN=alice"`,
      `By=spiffe://api;Hash=${Buffer.from(alice.thumbprint, 'base64url').toString('hex')};Subject="CN=alice"`,
    ]) {
      expect((await get({ 'X-SSL-Client-Cert': value })).status, value.slice(0, 40)).toBe(200)
    }
  })

  it('refuses another certificate, a garbled one, and none', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'X-SSL-Client-Cert': encodeURIComponent(mallory.cert) },
      { 'X-SSL-Client-Cert': 'not a certificate' },
      {},
    ]) {
      const response = await get(headers)
      expect(response.status).toBe(401)
      expect(response.headers['www-authenticate']).toBe(MISMATCH)
    }
  })

  it('ignores the header from an address that is not a trusted proxy (127.0.0.2)', async () => {
    const response = await get({ 'X-SSL-Client-Cert': encodeURIComponent(alice.cert) }, '127.0.0.2')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(MISMATCH)
  })
})
