import { readClaim } from '../claims/read-claim.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import { clientIp, type CidrSet } from './client-ip.js'
import type { Held } from './roles.js'

/** Thrown while replaying when a rule needs an input the recorded decision does not hold. */
export class Undetermined extends Error {
  constructor(readonly input: string) {
    super(`input ${input} was not recorded`)
    this.name = 'Undetermined'
  }
}

/** What a custom predicate sees. */
export interface PredicateInput {
  readonly auth: AuthContext
  readonly request: AuthRequest | undefined
  readonly resource: unknown
  /** The decision's instant, in milliseconds since the epoch. */
  readonly now: number
}

/** A condition written in code and named in the document (`predicate: businessHours`). */
export type PolicyPredicate = (input: PredicateInput) => boolean

/** The recorded inputs of a decision: input name → value (`null` when it was absent). */
export type RecordedInputs = Readonly<Record<string, unknown>>

/**
 * Everything one decision may read. Live: the request being served. Recorded: a decision event's
 * inputs, for replay; reading an input it lacks throws `Undetermined`, so replay never guesses.
 */
export class Env {
  held: Held | undefined = undefined
  private nowValue: number | undefined
  private ip: string | null | undefined = undefined

  constructor(
    readonly auth: AuthContext | undefined,
    readonly request: AuthRequest | undefined,
    readonly resource: unknown,
    readonly routeParams: Readonly<Record<string, string>> | undefined,
    readonly recorded: RecordedInputs | undefined,
    readonly trusted: CidrSet | undefined,
    now?: number,
  ) {
    this.nowValue = now
  }

  get now(): number {
    return (this.nowValue ??= Date.now())
  }

  clientIp(): string | undefined {
    if (this.ip === undefined) {
      const request = this.request as (AuthRequest & { ip?: unknown }) | undefined
      this.ip =
        clientIp(
          request?.socket?.remoteAddress,
          request?.headers['x-forwarded-for'],
          this.trusted,
        ) ?? null
    }
    return this.ip ?? undefined
  }
}

/** Reads one input of a decision. */
export type Reader = (env: Env) => unknown

const absent = (value: unknown) => (value === null ? undefined : value)

function field(container: unknown, name: string): unknown {
  return container !== null && typeof container === 'object' && Object.hasOwn(container, name)
    ? (container as Record<string, unknown>)[name]
    : undefined
}

function requestPath(request: AuthRequest | undefined): string | undefined {
  const raw =
    (request as { originalUrl?: unknown } | undefined)?.originalUrl ??
    request?.path ??
    (request as { url?: unknown } | undefined)?.url
  if (typeof raw !== 'string') return undefined
  const query = raw.indexOf('?')
  return query === -1 ? raw : raw.slice(0, query)
}

function liveReader(key: string, predicates: ReadonlyMap<string, PolicyPredicate>): Reader {
  const dot = key.indexOf('.')
  const head = dot === -1 ? key : key.slice(0, dot)
  const rest = dot === -1 ? '' : key.slice(dot + 1)
  switch (head) {
    case 'time':
      return (env) => env.now
    case 'auth':
      return (env) => (env.auth as unknown as Record<string, unknown> | undefined)?.[rest]
    case 'claims':
      return (env) => (env.auth ? readClaim(env.auth.claims, rest) : undefined)
    case 'resource':
      return (env) => readClaim((env.resource ?? {}) as Record<string, unknown>, rest)
    case 'predicate': {
      const predicate = predicates.get(rest)
      return (env) => {
        if (!predicate || !env.auth) return false
        try {
          const input = {
            auth: env.auth,
            request: env.request,
            resource: env.resource,
            now: env.now,
          }
          // A throwing predicate denies: a policy never fails open.
          return predicate(input) === true
        } catch {
          return false
        }
      }
    }
  }
  // request.*
  const inner = rest.indexOf('.')
  const part = inner === -1 ? rest : rest.slice(0, inner)
  const name = inner === -1 ? '' : rest.slice(inner + 1)
  switch (part) {
    case 'method':
      return (env) => env.request?.method
    case 'path':
      return (env) => requestPath(env.request)
    case 'ip':
      return (env) => env.clientIp()
    case 'host':
      return (env) => {
        const host = env.request?.headers.host
        return typeof host === 'string' ? host : undefined
      }
    case 'params':
      return (env) =>
        env.routeParams && Object.hasOwn(env.routeParams, name)
          ? env.routeParams[name]
          : field(env.request?.params, name)
    case 'query':
      return (env) => field(env.request?.query, name)
    default: {
      const header = name.toLowerCase()
      return (env) => env.request?.headers[header]
    }
  }
}

/**
 * Compiles an input name (`claims.amr`, `request.params.id`, `resource.ownerId`, `auth.subject`,
 * `time`, `predicate.<name>`) into a reader for live and recorded decisions.
 */
export function compileReader(
  key: string,
  predicates: ReadonlyMap<string, PolicyPredicate>,
): Reader {
  const live = liveReader(key, predicates)
  return (env) => {
    const recorded = env.recorded
    if (recorded === undefined) return live(env)
    if (!Object.hasOwn(recorded, key)) throw new Undetermined(key)
    return absent(recorded[key])
  }
}

/** Keys whose values never go into a decision event, whatever the redaction settings say. */
export const ALWAYS_REDACTED: readonly string[] = [
  'request.headers.authorization',
  'request.headers.cookie',
  'request.headers.proxy-authorization',
]

/** A redaction test from a list of input names; `claims.*` redacts every claim. */
export function compileRedaction(paths: readonly string[]): (key: string) => boolean {
  const exact = new Set([...ALWAYS_REDACTED, ...paths.filter((path) => !path.endsWith('*'))])
  const prefixes = paths.filter((path) => path.endsWith('*')).map((path) => path.slice(0, -1))
  return (key) => exact.has(key) || prefixes.some((prefix) => key.startsWith(prefix))
}
