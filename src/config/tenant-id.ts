/**
 * The shape of a tenant id filled into an issuer template: 1–128 of `[A-Za-z0-9._-]`, and never
 * a dot segment (`.` or `..`), which URL normalisation would resolve and so move the issuer or
 * JWKS URL out of the template's path (`/tenants/../jwks` is `/jwks`). The other characters
 * have no meaning in a URL path or host, so a filled template keeps the template's structure.
 * @see RFC 3986 §5.2.4 (remove_dot_segments)
 */
export const TENANT_ID = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/

/** True when `value` may be filled into an issuer template. */
export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value)
}
