import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type KeyObject,
} from 'jose'
import { ASYMMETRIC_ALGORITHMS } from '../config/options.js'

/**
 * How a signed policy bundle is checked: a compact JWS (RFC 7515 §7.1) whose payload is the
 * document as JSON, signed with an asymmetric key. Symmetric algorithms and `none` are refused.
 */
export interface PolicySignatureOptions {
  /** The verification key: a public JWK, CryptoKey or KeyObject. */
  publicKey?: JWK | CryptoKey | KeyObject
  /** A JWK Set, or the URL of one (fetched with jose, bounded by `timeoutDuration`). */
  jwks?: JSONWebKeySet | string
  /** Accepted algorithms. Default: the asymmetric list (RS*, PS*, ES*, EdDSA). */
  algorithms?: string[]
  /** Required `typ` header. Default `oidc-guard-policy+jwt`. */
  typ?: string
}

/** The `typ` a policy bundle carries unless configured otherwise. */
export const POLICY_BUNDLE_TYPE = 'oidc-guard-policy+jwt'

/** Why a bundle was refused; its message is safe to log. */
export class BundleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BundleError'
  }
}

/** Compiles the signature options into a verifier of compact JWS text, returning the payload. */
export function createBundleVerifier(
  options: PolicySignatureOptions,
  timeoutDuration: number,
): (jws: string) => Promise<string> {
  const algorithms = options.algorithms ?? [...ASYMMETRIC_ALGORITHMS]
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
    throw new BundleError('policy bundles are verified with asymmetric algorithms only')
  }
  const typ = (options.typ ?? POLICY_BUNDLE_TYPE).toLowerCase()
  let key: Parameters<typeof compactVerify>[1]
  if (options.jwks !== undefined) {
    key =
      typeof options.jwks === 'string'
        ? createRemoteJWKSet(new URL(options.jwks), { timeoutDuration })
        : createLocalJWKSet(options.jwks)
  } else if (options.publicKey !== undefined) {
    const given = options.publicKey
    const imported =
      'kty' in given && typeof given.kty === 'string'
        ? importJWK(given as JWK, (given as JWK).alg ?? algorithms[0])
        : Promise.resolve(given as CryptoKey | KeyObject)
    let resolved: CryptoKey | KeyObject | Uint8Array | undefined
    key = async () => (resolved ??= await imported)
  } else {
    throw new BundleError('signature needs publicKey or jwks')
  }
  return async (jws) => {
    const text = jws.trim()
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) {
      throw new BundleError('the policy is not a compact JWS (a signature is required)')
    }
    let result: Awaited<ReturnType<typeof compactVerify>>
    try {
      result = await compactVerify(text, key as Parameters<typeof compactVerify>[1], { algorithms })
    } catch (cause) {
      throw new BundleError('the policy signature is invalid', { cause })
    }
    const header = String(result.protectedHeader.typ ?? '').toLowerCase()
    if (header !== typ && header !== `application/${typ}`) {
      throw new BundleError(`the policy bundle typ must be ${typ}`)
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(result.payload)
  }
}
