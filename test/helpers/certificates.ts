import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A self-signed certificate and its key, PEM, made by the `openssl` CLI. */
export interface TestCertificate {
  readonly cert: string
  readonly key: string
  /** SHA-256 of the DER certificate, base64url: the `x5t#S256` of RFC 8705 §3.1. */
  readonly thumbprint: string
  /** The DER certificate. */
  readonly der: Buffer
}

/**
 * Makes a self-signed P-256 certificate (node:crypto cannot make X.509 certificates). Fails
 * loudly when `openssl` is missing.
 */
export function makeCertificate(commonName: string, ip?: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-guard-cert-'))
  try {
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        ...(ip ? ['-addext', `subjectAltName=IP:${ip}`] : []),
      ],
      { stdio: 'ignore' },
    )
    const cert = readFileSync(certFile, 'utf8')
    const der = new X509Certificate(cert).raw
    return {
      cert,
      key: readFileSync(keyFile, 'utf8'),
      der,
      thumbprint: Buffer.from(
        new Uint8Array(execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der })),
      ).toString('base64url'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
