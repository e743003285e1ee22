import type { Authenticated, Authenticator } from './authenticator.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { AuthRequest, HeaderValue, RequestSocket } from '../http/auth-request.js'

/**
 * How an adapter reads each part of its framework's request object. A reader left out reads the
 * framework object's own property of that name (Express, Koa and Fastify share most of them).
 */
export interface RequestReaders<T> {
  /** The HTTP method, e.g. `GET`. */
  method?(source: T): string
  /** The path without its query string (for decision events). */
  path(source: T): string | undefined
  /** Header values by lower-case name, as Node parsed them. */
  headers?(source: T): Readonly<Record<string, HeaderValue>>
  /** Node's `rawHeaders` (name, value, …), to detect repeated `Authorization` headers. */
  rawHeaders(source: T): readonly string[] | undefined
  /** The host name as the framework resolves it (honouring its proxy-trust settings). */
  hostname?(source: T): string | undefined
  /** The parsed query string (read only when `tokenLocations` includes `query`, or by guards). */
  query?(source: T): unknown
  /** The parsed body (read only when `tokenLocations` includes `body`). */
  body?(source: T): unknown
  /** Route parameters, for `requireTenant` and `requireClaimMatches`. */
  params?(source: T): unknown
  /** The request target before routing rewrote it (all three frameworks: `originalUrl`). */
  originalUrl?(source: T): string | undefined
  /** The connection (all three frameworks: `socket`). */
  socket?(source: T): RequestSocket | undefined
}

const own =
  <V>(name: string) =>
  (source: unknown): V =>
    (source as Record<string, V>)[name] as V

/**
 * The core's view of one framework request, carrying the authenticator that created it and,
 * once it let the request through, the context it gave it (what guards check against).
 */
export interface RequestView<T> extends AuthRequest, Authenticated {
  /** The framework's own request (or context). */
  readonly source: T
  /** Set by the adapter when authentication let the request through. */
  auth: AuthContext | undefined
}

/**
 * Defines, once per adapter, the class whose instances present a framework's request to the
 * core. Accessors live on the prototype and read lazily (query, body and params only when
 * `tokenLocations`, a guard or a decision event asks), so a request costs one small object:
 * an object literal with getters, built per request, costs several times more.
 */
export function defineRequestView<T>(
  read: RequestReaders<T>,
): new (source: T, authenticator: Authenticator) => RequestView<T> {
  const readMethod = read.method ?? own<string>('method')
  const readHeaders = read.headers ?? own<Readonly<Record<string, HeaderValue>>>('headers')
  const readHostname = read.hostname ?? own<string | undefined>('hostname')
  const readQuery = read.query ?? own<unknown>('query')
  const readBody = read.body ?? own<unknown>('body')
  const readParams = read.params ?? own<unknown>('params')
  const readOriginalUrl = read.originalUrl ?? own<string | undefined>('originalUrl')
  const readSocket = read.socket ?? own<RequestSocket | undefined>('socket')
  return class FrameworkRequestView implements RequestView<T> {
    auth: AuthContext | undefined = undefined
    constructor(
      readonly source: T,
      readonly authenticator: Authenticator,
    ) {}
    get method() {
      return readMethod(this.source)
    }
    get path() {
      return read.path(this.source)
    }
    get headers() {
      return readHeaders(this.source)
    }
    get rawHeaders() {
      return read.rawHeaders(this.source)
    }
    get hostname() {
      return readHostname(this.source)
    }
    get query() {
      return readQuery(this.source)
    }
    get body() {
      return readBody(this.source)
    }
    get params() {
      return readParams(this.source)
    }
    get originalUrl() {
      return readOriginalUrl(this.source)
    }
    get socket() {
      return readSocket(this.source)
    }
  }
}
