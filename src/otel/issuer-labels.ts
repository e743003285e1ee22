import type { ResolvedIssuerOptions } from '../index.js'

/**
 * Maps a concrete issuer to the label metrics report: the configured issuer, or for a tenant of
 * an issuer template the template itself, so a thousand tenants make one series. Results are
 * remembered in a bounded map; past the bound they are computed again (a few string compares).
 */
export class IssuerLabels {
  private readonly templates: { prefix: string; suffix: string; label: string }[] = []
  private readonly known = new Map<string, string>()

  constructor(
    private readonly includeTenants: boolean,
    private readonly maxRemembered = 10_000,
  ) {}

  /** Learns an authenticator's issuers. */
  add(issuers: readonly ResolvedIssuerOptions[]): void {
    for (const { issuer, isTemplate } of issuers) {
      if (!isTemplate) continue
      const [prefix, suffix] = issuer.split('{tenant}') as [string, string]
      if (!this.templates.some((template) => template.label === issuer))
        this.templates.push({ prefix, suffix, label: issuer })
    }
  }

  /** The label of a concrete (verified or configured) issuer. */
  of(issuer: string): string {
    const known = this.known.get(issuer)
    if (known !== undefined) return known
    const label = this.compute(issuer)
    if (this.known.size < this.maxRemembered) this.known.set(issuer, label)
    return label
  }

  private compute(issuer: string): string {
    if (this.includeTenants) return issuer
    for (const { prefix, suffix, label } of this.templates) {
      if (
        issuer.length > prefix.length + suffix.length &&
        issuer.startsWith(prefix) &&
        issuer.endsWith(suffix)
      )
        return label
    }
    return issuer
  }
}
