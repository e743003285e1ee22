import { hash } from 'node:crypto'
import type { AuthRequest } from '../http/auth-request.js'
import type { MtlsOptions } from './options.js'
import { createPeerCheck, singleHeader } from './peer.js'

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/
// Envoy's x-forwarded-client-cert: `By=…;Hash=<hex>;Cert="<url-encoded PEM>";Subject="…"`.
const XFCC_CERT = /(?:^|[;,])\s*Cert="?([^";,]+)"?/gi
const XFCC_HASH = /(?:^|[;,])\s*Hash=([0-9A-Fa-f]{64})(?=[;,]|$)/gi

function lastMatch(pattern: RegExp, value: string): string | undefined {
  let last: string | undefined
  for (const match of value.matchAll(pattern)) last = match[1]
  return last
}

/** The DER bytes of a certificate in PEM (raw or URL-encoded) or base64 DER, or undefined. */
export function certificateDer(value: string): Buffer | undefined {
  let text = value.trim()
  if (text.startsWith('%') || text.includes('%2D') || text.includes('%0A')) {
    try {
      text = decodeURIComponent(text)
    } catch {
      return undefined
    }
  }
  const pem = PEM.exec(text)
  const base64 = (pem ? (pem[1] as string) : text).replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) return undefined
  const der = Buffer.from(base64, pem ? 'base64' : /[-_]/.test(base64) ? 'base64url' : 'base64')
  // A certificate is a DER SEQUENCE.
  return der.length > 0 && der[0] === 0x30 ? der : undefined
}

/**
 * The SHA-256 thumbprint (base64url) of a certificate forwarded in a proxy header: Envoy's XFCC
 * (`Cert`, else `Hash`), PEM (raw or URL-encoded, nginx `$ssl_client_escaped_cert`) or base64 DER.
 */
export function forwardedThumbprint(value: string): string | undefined {
  if (/(?:^|[;,])\s*(?:Cert|Hash)=/i.test(value)) {
    const cert = lastMatch(XFCC_CERT, value)
    const der = cert === undefined ? undefined : certificateDer(cert)
    if (der !== undefined) return hash('sha256', der, 'base64url')
    const hex = lastMatch(XFCC_HASH, value)
    return hex === undefined ? undefined : Buffer.from(hex, 'hex').toString('base64url')
  }
  const der = certificateDer(value)
  return der === undefined ? undefined : hash('sha256', der, 'base64url')
}

/**
 * Compiles how the client certificate of a request is found (RFC 8705 §3): from the configured
 * header when the peer is a trusted proxy, else from the TLS connection. Answers its
 * SHA-256 thumbprint (`x5t#S256`), or undefined when the request has no certificate.
 */
export function createCertificateThumbprint(
  options: MtlsOptions | undefined,
): (request: AuthRequest) => string | undefined {
  const header = options?.certificateHeader?.toLowerCase()
  const isTrusted = createPeerCheck(options?.trustedProxies)
  return (request) => {
    if (header !== undefined && isTrusted(request)) {
      const value = singleHeader(request, header)
      return value === undefined ? undefined : forwardedThumbprint(value)
    }
    const raw = request.socket?.getPeerCertificate?.(false)?.raw
    return raw === undefined || raw.length === 0 ? undefined : hash('sha256', raw, 'base64url')
  }
}
