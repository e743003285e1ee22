import { DESCRIPTIONS } from '../errors/reasons.js'
import { LRUCache } from 'lru-cache'
import { andThen } from '../maybe-async.js'
import { InvalidTokenError, KeySetUnavailableError } from '../errors/errors.js'
import { createIssuerVerifier, type IssuerVerifier } from './issuer-verifier.js'
import { isAllowedTransport } from '../keys/transport-policy.js'
import { isTenantId } from '../config/tenant-id.js'
import { TenantFetchGate } from './tenant-fetch-gate.js'
import type {
  ResolvedAuthenticateOptions,
  ResolvedIssuerOptions,
  TenantResolution,
} from '../config/options.js'

/** Finds the verifier for a token's issuer; never makes a network call for an unknown one. */
export interface IssuerRegistry {
  /**
   * The verifier for a token's unverified `iss`. It only chooses among configured issuers: the
   * chosen verifier checks `iss` again, with the signature.
   */
  select(iss: unknown): IssuerVerifier | Promise<IssuerVerifier>
  stats(): { issuers: number; keys: number; unknownTenants: number }
  /** Resolves once every configured issuer (templates aside) has its keys; rejects with the first failure. */
  ready(): Promise<void>
  clear(): void
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A resolver's "yes": `true`, or overrides the tenant's verifier is built with. */
type Accepted = true | { audience?: string | string[]; jwksUri?: string }

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== ''

/**
 * Reads a `resolveTenant` answer. Only `true` or a plain object with a valid `audience`
 * and/or `jwksUri` (and nothing else) accepts a tenant: a count, an `EXISTS` result, `'false'`, `NaN`
 * or anything else a resolver may return by mistake refuses it, so a tenant is never accepted
 * by accident.
 */
function readResolution(answer: unknown, allowInsecureRequests: boolean): Accepted | undefined {
  if (answer === true) return true
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return undefined
  if (Object.getPrototypeOf(answer) !== Object.prototype) return undefined
  const { audience, jwksUri, ...other } = answer as Record<string, unknown>
  // `{}` or a record with other members (a database row…) is not a documented answer.
  if (Object.keys(other).length > 0 || (audience === undefined && jwksUri === undefined))
    return undefined
  if (
    audience !== undefined &&
    !isNonEmptyString(audience) &&
    !(Array.isArray(audience) && audience.length > 0 && audience.every(isNonEmptyString))
  )
    return undefined
  if (
    jwksUri !== undefined &&
    (typeof jwksUri !== 'string' || !isAllowedTransport(jwksUri, allowInsecureRequests))
  )
    return undefined
  return {
    audience: audience as string | string[] | undefined,
    jwksUri: jwksUri as string | undefined,
  }
}

/**
 * The tenants of one issuer template: an allowlist or a resolver decides which exist; their
 * verifiers (with their key sets) live in a bounded LRU (for a resolver, each for at most
 * `resolvedTenantTtl`), and unknown tenants are remembered in another, so a flood of made-up
 * tenants costs neither fetches nor resolver calls. Key fetches per tenant stay within the
 * cooldown even across evictions (`TenantFetchGate`).
 */
class TenantIssuers {
  private readonly pattern: RegExp
  private readonly verifiers: LRUCache<string, IssuerVerifier>
  private readonly unknown: LRUCache<string, true>
  private readonly pending = new Map<string, Promise<IssuerVerifier | undefined>>()
  private readonly gate: TenantFetchGate

  constructor(
    private readonly options: ResolvedIssuerOptions,
    private readonly common: ResolvedAuthenticateOptions,
  ) {
    const [before, after] = options.issuer.split('{tenant}') as [string, string]
    this.pattern = new RegExp(`^${escapeRegExp(before)}(.+)${escapeRegExp(after)}$`)
    this.verifiers = new LRUCache({
      max: common.maxTenants,
      // A resolver's yes is trusted for a while only: an offboarded tenant stops working.
      ...(options.resolveTenant !== undefined && { ttl: common.resolvedTenantTtl }),
      dispose: (verifier) => verifier.clear(),
    })
    this.unknown = new LRUCache({
      max: common.unknownTenantCacheSize,
      ttl: common.unknownTenantTtl,
    })
    this.gate = new TenantFetchGate(common.cooldownDuration, common.unknownTenantCacheSize)
  }

  /** The tenant named by `iss`, if it fits the template's shape. */
  match(iss: string): string | undefined {
    const tenant = this.pattern.exec(iss)?.[1]
    return tenant !== undefined && isTenantId(tenant) ? tenant : undefined
  }

  lookup(tenant: string): IssuerVerifier | Promise<IssuerVerifier | undefined> | undefined {
    const cached = this.verifiers.get(tenant)
    if (cached !== undefined) return cached
    const { tenants, resolveTenant } = this.options
    if (tenants !== undefined) return tenants.has(tenant) ? this.create(tenant, true) : undefined
    if (this.unknown.has(tenant)) return undefined
    let pending = this.pending.get(tenant)
    if (pending === undefined) {
      // Cleared in a later microtask, after it is stored, even when the resolver throws at once.
      pending = this.resolve(tenant, resolveTenant as NonNullable<typeof resolveTenant>).finally(
        () => this.pending.delete(tenant),
      )
      this.pending.set(tenant, pending)
    }
    return pending
  }

  private async resolve(
    tenant: string,
    resolveTenant: (tenant: string) => TenantResolution | Promise<TenantResolution>,
  ): Promise<IssuerVerifier | undefined> {
    let answer: unknown
    try {
      answer = await withTimeout(() => resolveTenant(tenant), this.common.timeoutDuration)
    } catch (cause) {
      // A failing or slow resolver is our failure (503), and is not remembered either way.
      throw new KeySetUnavailableError(DESCRIPTIONS.tenantUnavailable, {
        cause,
        realm: this.common.realm,
      })
    }
    const accepted = readResolution(answer, this.common.allowInsecureRequests)
    if (accepted === undefined) {
      this.unknown.set(tenant, true)
      return undefined
    }
    return this.create(tenant, accepted)
  }

  private create(tenant: string, resolution: Accepted): IssuerVerifier {
    const overrides = resolution === true ? {} : resolution
    const audience = overrides.audience ?? this.options.audience
    const verifier = createIssuerVerifier(
      {
        options: this.options,
        issuer: this.options.issuer.replace('{tenant}', tenant),
        audience: typeof audience === 'string' ? [audience] : audience,
        jwksUri: overrides.jwksUri ?? this.options.jwksUri?.replace('{tenant}', tenant),
        tenant,
        fetch: this.gate.guard(tenant, this.common.fetch ?? globalThis.fetch),
        // A resolver's yes holds for resolvedTenantTtl, remembered tokens included.
        trustedUntil:
          this.options.resolveTenant === undefined
            ? undefined
            : Date.now() + this.common.resolvedTenantTtl,
      },
      this.common,
    )
    this.verifiers.set(tenant, verifier)
    return verifier
  }

  /** Verifiers of tenants held now, and unknown tenants remembered. */
  stats(): { verifiers: IssuerVerifier[]; unknown: number } {
    return { verifiers: [...this.verifiers.values()], unknown: this.unknown.size }
  }

  clear(): void {
    this.verifiers.clear()
    this.unknown.clear()
    this.gate.clear()
  }
}

/** Runs `call` with a time limit, in milliseconds; a late answer rejects. */
async function withTimeout<T>(call: () => T | Promise<T>, timeout: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout)
  })
  try {
    return await Promise.race([call(), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Builds the registry of configured issuers. With one plain issuer there is nothing to choose.
 */
export function createIssuerRegistry(common: ResolvedAuthenticateOptions): IssuerRegistry {
  const exact = new Map<string, IssuerVerifier>()
  const templates: TenantIssuers[] = []
  for (const options of common.issuers) {
    if (options.isTemplate) templates.push(new TenantIssuers(options, common))
    else {
      const concrete = {
        options,
        issuer: options.issuer,
        audience: options.audience,
        jwksUri: options.jwksUri,
      }
      exact.set(options.issuer, createIssuerVerifier(concrete, common))
    }
  }
  const { realm } = common
  const only = exact.size === 1 && templates.length === 0 ? [...exact.values()][0] : undefined
  const unknownIssuer = () => new InvalidTokenError(DESCRIPTIONS.iss, { realm })

  function selectTemplate(iss: string): IssuerVerifier | Promise<IssuerVerifier> {
    for (const template of templates) {
      const tenant = template.match(iss)
      if (tenant === undefined) continue
      const found = template.lookup(tenant)
      return andThen(found, (verifier) => {
        if (verifier === undefined) throw unknownIssuer()
        return verifier
      })
    }
    throw unknownIssuer()
  }

  return {
    select(iss) {
      if (only !== undefined) return only
      if (typeof iss !== 'string') throw unknownIssuer()
      return exact.get(iss) ?? selectTemplate(iss)
    },
    stats() {
      const verifiers = [...exact.values()]
      let unknownTenants = 0
      for (const template of templates) {
        const held = template.stats()
        verifiers.push(...held.verifiers)
        unknownTenants += held.unknown
      }
      const keys = verifiers.reduce((sum, verifier) => sum + verifier.keyCount(), 0)
      return { issuers: verifiers.length, keys, unknownTenants }
    },
    async ready() {
      await Promise.all([...exact.values()].map((verifier) => verifier.ready()))
    },
    clear() {
      for (const verifier of exact.values()) verifier.clear()
      for (const template of templates) template.clear()
    },
  }
}
