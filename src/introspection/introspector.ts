import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import { createClaimRules } from '../claims/claim-mapping.js'
import type { ResolvedAuthenticateOptions, ResolvedIssuerOptions } from '../config/options.js'
import {
  DependencyUnavailableError,
  InvalidTokenError,
  isOidcGuardError,
} from '../errors/errors.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import { parseJws } from '../jose/signature.js'
import { verifySignature } from '../jose/signature.js'
import { discoveryUrls } from '../keys/discovery.js'
import { fetchJson, type FetchLimits } from '../keys/fetch-json.js'
import { RemoteKeySet } from '../keys/remote-key-set.js'
import { buildAuthContext, type AuthContext, type TokenClaims } from '../verify/auth-context.js'
import { providerProfile } from '../verify/provider-profiles.js'
import { createClientAuth } from './client-auth.js'
import type { IntrospectionOptions } from './introspection-options.js'
import { postForm } from './post-form.js'

/** Introspects one issuer's tokens; see `createIntrospector`. */
export interface Introspector {
  readonly issuer: string
  /** Whether JWTs are introspected too, after local verification. */
  readonly introspectsJwts: boolean
  /** Longest reuse of an active answer, in milliseconds. */
  readonly cacheMaxAge: number
  /** Whether a verified JWT is accepted when the endpoint cannot answer (`failOpen`). */
  readonly failOpen: boolean
  /** How long a refusal is remembered, in milliseconds (`negativeCacheTtl`). */
  readonly negativeCacheTtl: number
  /**
   * The AuthContext of an opaque token, or of a locally verified JWT (`verified`) the provider
   * still calls active. `key` is the token's SHA-256 (the negative cache's key).
   * @throws InvalidTokenError (inactive, or fails the checks), DependencyUnavailableError (503)
   */
  introspect(token: string, key: string, verified?: AuthContext): Promise<AuthContext>
  /** Inactive tokens remembered now. */
  readonly negativeEntries: number
  clear(): void
}

// RFC 7662 §2.2: `active` is the one required member; the others are checked when present.
const responseSchema = z.looseObject({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  username: z.string().optional(),
  token_type: z.string().optional(),
  exp: z.number().optional(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  sub: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
  jti: z.string().optional(),
})

const JWT_RESPONSE = 'application/token-introspection+jwt'
const JSON_TYPES = new Set(['application/json', ''])

/**
 * Builds the introspector of one issuer: the endpoint (configured or discovered once), client
 * authentication, a negative cache keyed by the token's hash, one request in flight per token,
 * and the same claim checks as a JWT. Positive answers are remembered by the verifier's token
 * cache, for at most `cacheMaxAge` and never past `exp`.
 */
export function createIntrospector(
  issuerOptions: ResolvedIssuerOptions,
  introspection: IntrospectionOptions,
  common: ResolvedAuthenticateOptions,
): Introspector {
  const { issuer, audience, clockTolerance, requiredClaims, algorithms } = issuerOptions
  const { realm } = common
  const limits: FetchLimits = {
    fetch: common.fetch ?? globalThis.fetch,
    timeoutDuration: common.timeoutDuration,
    maxResponseSize: common.maxResponseSize,
    allowInsecureRequests: common.allowInsecureRequests,
    issuer,
    // Bound: the hook may be a method of the user's instrumentation object.
    startFetch: common.instrumentation?.startFetch?.bind(common.instrumentation),
  }
  const rules = createClaimRules(
    issuerOptions.claims,
    issuerOptions.rolesClaim,
    issuerOptions.profile === 'strict' ? 'strict' : 'tolerant',
  )
  const profile = providerProfile(rules.preset)
  const auth = createClientAuth(introspection, issuer)
  const hint = introspection.tokenTypeHint ?? 'access_token'
  const jwtResponse = introspection.jwtResponse ?? false
  const negative = new LRUCache<string, true>({
    max: introspection.negativeCacheSize ?? 10_000,
    ttl: Math.max(introspection.negativeCacheTtl ?? 5000, 1),
  })
  const negativeTtl = introspection.negativeCacheTtl ?? 5000
  const pending = new Map<string, Promise<AuthContext>>()
  let endpoint: string | Promise<string> | undefined = introspection.endpoint
  const keySet = jwtResponse
    ? new RemoteKeySet({
        ...limits,
        issuer,
        jwksUri: issuerOptions.jwksUri,
        cooldownDuration: common.cooldownDuration,
        cacheMaxAge: common.cacheMaxAge,
        maxStaleAge: common.maxStaleAge,
        maxKeys: common.maxKeys,
        realm,
      })
    : undefined

  const invalid = (description: string) => new InvalidTokenError(description, { realm })
  const unavailable = (cause?: unknown) =>
    new DependencyUnavailableError(DESCRIPTIONS.introspectionUnavailable, { cause, realm })

  async function discoverEndpoint(): Promise<string> {
    let lastFailure: unknown
    for (const url of discoveryUrls(issuer)) {
      try {
        const { json } = await fetchJson(url, limits, 'discovery')
        const metadata = json as { issuer?: unknown; introspection_endpoint?: unknown } | null
        const found = metadata?.introspection_endpoint
        // OIDC Discovery §4.3 / RFC 8414 §3.3: the document must be the configured issuer's.
        if (metadata?.issuer === issuer && typeof found === 'string' && /^https?:\/\//.test(found))
          return found
        lastFailure = new Error('discovery document has no usable introspection_endpoint')
      } catch (failure) {
        lastFailure = failure
      }
    }
    throw lastFailure
  }

  function endpointUrl(): string | Promise<string> {
    if (endpoint === undefined) {
      const discovering = discoverEndpoint().then(
        (found) => (endpoint = found),
        (failure: unknown) => {
          endpoint = undefined
          throw failure
        },
      )
      endpoint = discovering
    }
    return endpoint
  }

  function checkAudience(aud: unknown): boolean {
    if (typeof aud === 'string') return audience.includes(aud)
    return Array.isArray(aud) && aud.some((item) => audience.includes(item as string))
  }

  // The same checks as a JWT's claims (issuer-verifier.ts), on the provider's answer.
  function check(claims: TokenClaims): void {
    for (const name of requiredClaims)
      if (!Object.hasOwn(claims, name)) throw invalid(DESCRIPTIONS.missing)
    if (claims.iss !== undefined && claims.iss !== issuer) throw invalid(DESCRIPTIONS.iss)
    const audienceOk = profile.audienceFromClientId
      ? audience.includes(claims.client_id as string)
      : checkAudience(claims.aud)
    if (!audienceOk) throw invalid(DESCRIPTIONS.aud)
    const now = Math.floor(Date.now() / 1000)
    const { exp, nbf, iat } = claims
    if (typeof exp !== 'number') throw invalid(DESCRIPTIONS.exp)
    if (exp <= now - clockTolerance) throw invalid(DESCRIPTIONS.expired)
    if (nbf !== undefined && nbf > now + clockTolerance) throw invalid(DESCRIPTIONS.nbf)
    if (iat !== undefined && iat > now + clockTolerance) throw invalid(DESCRIPTIONS.iat)
    // A bearer API must not accept a sender-constrained token (RFC 9449, RFC 8705) without its
    // proof, nor another kind of token the provider describes.
    const tokenType = claims.token_type
    if (claims.cnf !== undefined) throw invalid(DESCRIPTIONS.kind)
    if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer')
      throw invalid(DESCRIPTIONS.kind)
    const wrongKind = profile.tokenKind(claims, undefined)
    if (wrongKind !== undefined) throw invalid(wrongKind)
  }

  // RFC 9701 §5: a JWT signed by the issuer, for this client, holding the answer.
  async function readJwtResponse(text: string): Promise<unknown> {
    const jws = parseJws(text)
    if (jws === undefined) throw new Error('introspection answer is not a JWT')
    const { alg, typ } = jws.header
    if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg))
      throw new Error('introspection answer algorithm not accepted')
    if (
      typeof typ !== 'string' ||
      typ.toLowerCase().replace(/^application\//, '') !== 'token-introspection+jwt'
    )
      throw new Error('introspection answer has the wrong typ')
    const key = await (keySet as RemoteKeySet).getKey(jws.header as { alg: string; kid?: string })
    if (!(await verifySignature(alg, key, jws.signingInput, jws.signature)))
      throw new Error('introspection answer signature invalid')
    const { iss, aud, token_introspection: answer } = jws.claims
    const audOk =
      aud === introspection.clientId || (Array.isArray(aud) && aud.includes(introspection.clientId))
    if (iss !== issuer || !audOk) throw new Error('introspection answer is for someone else')
    return answer
  }

  async function ask(token: string): Promise<z.output<typeof responseSchema>> {
    const body = new URLSearchParams({ token })
    if (hint !== false) body.set('token_type_hint', hint)
    const headers: Record<string, string> = {
      accept: jwtResponse ? JWT_RESPONSE : 'application/json',
    }
    let answer: unknown
    try {
      await auth.apply(body, headers)
      const response = await postForm(await endpointUrl(), body, headers, limits)
      // Any other status is the provider's or our configuration's failure, not the token's.
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}`)
      if (jwtResponse) {
        if (response.contentType !== JWT_RESPONSE) throw new Error('expected a JWT answer')
        answer = await readJwtResponse(response.text)
      } else {
        if (!JSON_TYPES.has(response.contentType)) throw new Error('expected a JSON answer')
        answer = JSON.parse(response.text)
      }
    } catch (cause) {
      throw unavailable(cause)
    }
    const parsed = responseSchema.safeParse(answer)
    if (!parsed.success) throw unavailable(parsed.error)
    return parsed.data
  }

  async function run(token: string, verified: AuthContext | undefined): Promise<AuthContext> {
    const answer = await ask(token)
    if (!answer.active) throw invalid(DESCRIPTIONS.inactive)
    const { active: _active, ...rest } = answer
    const claims = rest as TokenClaims
    check(claims)
    if (verified !== undefined) {
      // The online check of a JWT: the provider must describe the same token.
      if (claims.sub !== undefined && claims.sub !== verified.subject)
        throw invalid(DESCRIPTIONS.inactive)
      return verified
    }
    return buildAuthContext(token, claims, rules.map(claims), realm)
  }

  return {
    issuer,
    introspectsJwts: introspection.tokens === 'all',
    cacheMaxAge: introspection.cacheMaxAge ?? 60_000,
    failOpen: introspection.failOpen === true,
    negativeCacheTtl: negativeTtl,
    introspect(token, key, verified) {
      if (negative.has(key)) return Promise.reject(invalid(DESCRIPTIONS.inactive))
      let inflight = pending.get(key)
      if (inflight === undefined) {
        inflight = run(token, verified)
          .catch((error: unknown) => {
            // Remember a refusal, never an outage: the provider's answer is what is cached.
            if (negativeTtl > 0 && isOidcGuardError(error) && error.status === 401)
              negative.set(key, true)
            throw error
          })
          .finally(() => pending.delete(key))
        pending.set(key, inflight)
      }
      return inflight
    },
    get negativeEntries() {
      return negative.size
    },
    clear() {
      negative.clear()
      pending.clear()
      keySet?.clear()
    },
  }
}
