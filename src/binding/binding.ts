import { DESCRIPTIONS } from '../errors/reasons.js'
import { InvalidTokenError, isOidcGuardError } from '../errors/errors.js'
import type { ChallengeOptions } from '../errors/challenge.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import { createDpopProofVerifier, type DpopProofVerifier } from './dpop/proof.js'
import { isScheme } from '../http/extract-token.js'
import { createCertificateThumbprint } from './mtls.js'
import type { ResolvedBindingOptions } from './options.js'
import { resourceMetadataUrl } from './resource-metadata.js'

/** The scheme a request presented its token with. */
export type PresentationScheme = 'Bearer' | 'DPoP'

/**
 * The binding step of the pipeline, between verification and guards: proof of possession of
 * the key (DPoP, RFC 9449) or certificate (mTLS, RFC 8705 §3) a token is bound to.
 */
export interface BindingStep {
  /** True when the `DPoP` scheme is accepted. */
  readonly dpop: boolean
  /**
   * Checks a verified token against the request: synchronous for a Bearer request (comparisons
   * only), a promise for a DPoP request (one signature, one replay-store write).
   */
  check(
    auth: AuthContext,
    request: AuthRequest,
    scheme: PresentationScheme,
  ): AuthContext | Promise<AuthContext>
  /** Sets the challenge options (offered schemes, `resource_metadata`) on an error. */
  decorate<E>(error: E, scheme: PresentationScheme): E
}

/** The scheme of the request's `Authorization` header (`DPoP` only when DPoP is on). */
export function presentationScheme(request: AuthRequest, dpop: boolean): PresentationScheme {
  if (!dpop) return 'Bearer'
  const value = request.headers.authorization
  return typeof value === 'string' &&
    value.length > 5 &&
    value.charCodeAt(4) === 32 &&
    isScheme(value, 4, 'dpop')
    ? 'DPoP'
    : 'Bearer'
}

/** Builds the binding step of one authenticator. */
export function createBindingStep(options: ResolvedBindingOptions, realm: string): BindingStep {
  const dpop: DpopProofVerifier | undefined =
    options.dpop && createDpopProofVerifier(options.dpop, realm)
  const required = options.dpop?.required
  const requiredFor: (issuer: string) => boolean =
    required === true
      ? () => true
      : Array.isArray(required)
        ? (
            (set) => (issuer: string) =>
              set.has(issuer)
          )(new Set(required))
        : () => false
  const certificateThumbprint = createCertificateThumbprint(options.mtls)
  const metadata = options.resourceMetadata
  const resourceMetadata = metadata && resourceMetadataUrl(metadata.resource)
  const decorated = dpop !== undefined || resourceMetadata !== undefined
  const challenges = {
    Bearer: Object.freeze({
      bearer: required !== true,
      dpopAlgs: dpop?.algs,
      scheme: 'Bearer',
      resourceMetadata,
    }),
    DPoP: Object.freeze({
      bearer: required !== true,
      dpopAlgs: dpop?.algs,
      scheme: 'DPoP',
      resourceMetadata,
    }),
  } satisfies Record<PresentationScheme, ChallengeOptions>

  function decorate<E>(error: E, scheme: PresentationScheme): E {
    if (decorated && isOidcGuardError(error) && error.challenge === undefined) {
      error.challenge = challenges[scheme]
    }
    return error
  }

  const invalid = (description: string, scheme: PresentationScheme) =>
    decorate(new InvalidTokenError(description, { realm }), scheme)

  function checkCertificate(x5t: unknown, request: AuthRequest, scheme: PresentationScheme) {
    // RFC 8705 §3: the token is refused unless the connection's certificate is the bound one.
    if (typeof x5t !== 'string' || certificateThumbprint(request) !== x5t)
      throw invalid(DESCRIPTIONS.mtlsMismatch, scheme)
  }

  return {
    dpop: dpop !== undefined,
    decorate,
    check(auth, request, scheme) {
      const cnf = auth.claims.cnf as Record<string, unknown> | undefined
      const jkt = cnf?.jkt
      const x5t = cnf?.['x5t#S256']
      if (scheme === 'DPoP') {
        // RFC 9449 §7.1: the DPoP scheme carries a token bound to the proof's key, and only that.
        if (typeof jkt !== 'string') throw invalid(DESCRIPTIONS.dpopUnbound, 'DPoP')
        if (x5t !== undefined) checkCertificate(x5t, request, 'DPoP')
        return (dpop as DpopProofVerifier).verify(request, auth.token, jkt).then(
          () => auth,
          (error: unknown) => {
            throw decorate(error, 'DPoP')
          },
        )
      }
      // RFC 9449 §7.2: a DPoP-bound token sent as Bearer is refused, DPoP configured or not.
      if (jkt !== undefined) throw invalid(DESCRIPTIONS.dpopAsBearer, dpop ? 'DPoP' : 'Bearer')
      if (dpop !== undefined && requiredFor(auth.issuer))
        throw invalid(DESCRIPTIONS.dpopRequired, 'DPoP')
      if (x5t !== undefined) checkCertificate(x5t, request, 'Bearer')
      return auth
    },
  }
}
