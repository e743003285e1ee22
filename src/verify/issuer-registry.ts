import { DESCRIPTIONS } from '../errors/reasons.js'
import { LRUCache } from 'lru-cache'
import { InvalidTokenError, KeySetUnavailableError } from '../errors/errors.js'
import { createIssuerVerifier, type IssuerVerifier } from './issuer-verifier.js'
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

const TENANT = /^[A-Za-z0-9._-]{1,128}$/

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The tenants of one issuer template: an allowlist or a resolver decides which exist; their
 * verifiers (with their key sets) live in a bounded LRU, and unknown tenants are remembered in
 * another, so a flood of made-up tenants costs neither fetches nor resolver calls.
 */
class TenantIssuers {
  private readonly pattern: RegExp
  private readonly verifiers: LRUCache<string, IssuerVerifier>
  private readonly unknown: LRUCache<string, true>
  private readonly pending = new Map<string, Promise<IssuerVerifier | undefined>>()

  constructor(
    private readonly options: ResolvedIssuerOptions,
    private readonly common: ResolvedAuthenticateOptions,
    private readonly onKeysRemoved: () => void,
  ) {
    const [before, after] = options.issuer.split('{tenant}') as [string, string]
    this.pattern = new RegExp(`^${escapeRegExp(before)}(.+)${escapeRegExp(after)}$`)
    this.verifiers = new LRUCache({
      max: common.maxTenants,
      dispose: (verifier) => verifier.clear(),
    })
    this.unknown = new LRUCache({
      max: common.unknownTenantCacheSize,
      ttl: common.unknownTenantTtl,
    })
  }

  /** The tenant named by `iss`, if it fits the template's shape. */
  match(iss: string): string | undefined {
    const tenant = this.pattern.exec(iss)?.[1]
    return tenant !== undefined && TENANT.test(tenant) ? tenant : undefined
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
    try {
      const resolution = await resolveTenant(tenant)
      if (resolution === false || resolution === undefined || resolution === null) {
        this.unknown.set(tenant, true)
        return undefined
      }
      return this.create(tenant, resolution)
    } catch (cause) {
      throw new KeySetUnavailableError(DESCRIPTIONS.tenantUnavailable, {
        cause,
        realm: this.common.realm,
      })
    }
  }

  private create(tenant: string, resolution: Exclude<TenantResolution, false>): IssuerVerifier {
    const overrides = resolution === true ? {} : resolution
    const audience = overrides.audience ?? this.options.audience
    const verifier = createIssuerVerifier(
      {
        options: this.options,
        issuer: this.options.issuer.replace('{tenant}', tenant),
        audience: typeof audience === 'string' ? [audience] : audience,
        jwksUri: overrides.jwksUri ?? this.options.jwksUri?.replace('{tenant}', tenant),
        tenant,
      },
      this.common,
      this.onKeysRemoved,
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
  }
}

/**
 * Builds the registry of configured issuers. With one plain issuer there is nothing to choose.
 */
export function createIssuerRegistry(
  common: ResolvedAuthenticateOptions,
  onKeysRemoved: () => void,
): IssuerRegistry {
  const exact = new Map<string, IssuerVerifier>()
  const templates: TenantIssuers[] = []
  for (const options of common.issuers) {
    if (options.isTemplate) templates.push(new TenantIssuers(options, common, onKeysRemoved))
    else {
      const concrete = {
        options,
        issuer: options.issuer,
        audience: options.audience,
        jwksUri: options.jwksUri,
      }
      exact.set(options.issuer, createIssuerVerifier(concrete, common, onKeysRemoved))
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
      if (found === undefined) throw unknownIssuer()
      if (!(found instanceof Promise)) return found
      return found.then((verifier) => {
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
