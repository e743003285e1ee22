import { ConfigurationError } from '../errors/errors.js'
import type { AuthRequest } from './auth-request.js'

/**
 * Where a guard finds the value a request addresses (its tenant, its owner): a route parameter,
 * a header, a query parameter, the host's first label, or a function.
 * @example { param: 'tenantId' }
 * @example { header: 'x-tenant-id' }
 * @example { host: 'subdomain' } // acme.api.example.com → acme
 */
export type RequestValue =
  | { param: string }
  | { header: string }
  | { query: string }
  | { host: 'subdomain' }
  | ((request: AuthRequest) => string | undefined)

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

function field(container: unknown, name: string): unknown {
  return container !== null && typeof container === 'object' && Object.hasOwn(container, name)
    ? (container as Record<string, unknown>)[name]
    : undefined
}

/** Compiles a `RequestValue` once, at startup, into a reader. */
export function createRequestValueReader(
  from: RequestValue,
  guardName: string,
): (request: AuthRequest) => string | undefined {
  if (typeof from === 'function') return (request) => asString(from(request))
  if (from !== null && typeof from === 'object') {
    const keys = Object.keys(from)
    const [key] = keys
    const value = (from as Record<string, unknown>)[key as string]
    if (keys.length === 1 && typeof value === 'string' && value !== '') {
      switch (key) {
        case 'param':
          return (request) => asString(field(request.params, value))
        case 'header': {
          const name = value.toLowerCase()
          return (request) => asString(request.headers[name])
        }
        case 'query':
          return (request) => asString(field(request.query, value))
        case 'host':
          if (value === 'subdomain') {
            // The framework's hostname honours its proxy-trust settings (X-Forwarded-Host only
            // when trusted), so the guard sees the host the app routes by.
            return (request) => {
              const host = asString(request.hostname) ?? asString(request.headers.host)
              const dot = host?.indexOf('.') ?? -1
              return dot > 0 ? host?.slice(0, dot) : undefined
            }
          }
      }
    }
  }
  throw new ConfigurationError(
    `${guardName}() needs { param }, { header }, { query }, { host: 'subdomain' } or a function`,
  )
}

/** A plain-data description of a `RequestValue`, for decisions and descriptors. */
export function describeRequestValue(from: RequestValue): string {
  if (typeof from === 'function') return from.name ? `${from.name}()` : 'function'
  const [[key, value]] = Object.entries(from) as [[string, string]]
  return `${key}:${value}`
}
