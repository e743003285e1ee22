/** The parts of the connection the token-binding checks read (RFC 9449 `htu`, RFC 8705 §3). */
export interface RequestSocket {
  /** The peer's address, compared with trusted proxy addresses. */
  readonly remoteAddress?: string
  /** True on a TLS connection (Node's `TLSSocket`). */
  readonly encrypted?: boolean
  /** The client certificate of a TLS connection; `raw` is its DER encoding. */
  getPeerCertificate?(detailed?: boolean): { raw?: Uint8Array } | null
}

/** Header values as Node gives them. */
export type HeaderValue = string | string[] | undefined

/**
 * The parts of an HTTP request the core reads. Every framework's request object already has
 * this shape or is mapped to it by its adapter; the core never imports a framework.
 */
export interface AuthRequest {
  readonly method: string
  /** The path, for decision events only. */
  readonly path?: string
  readonly headers: Readonly<Record<string, HeaderValue>>
  /**
   * Node's `rawHeaders`. Node keeps only the first of duplicated `Authorization` headers in
   * `headers`; the raw list is only counted, to refuse a request that sends two (RFC 6750 §2).
   * The token itself is always read from `headers`, so a middleware that rewrote or removed the
   * header earlier is followed.
   */
  readonly rawHeaders?: readonly string[]
  /** Parsed query string; read only when `tokenLocations` includes `query`. */
  readonly query?: unknown
  /** Parsed form body; read only when `tokenLocations` includes `body`. */
  readonly body?: unknown
  /**
   * The host name the framework resolved (Express `req.hostname`, Koa `ctx.hostname`, Fastify
   * `request.hostname`), which honours its proxy-trust settings; `{ host: 'subdomain' }` reads
   * it, so the guard and the app agree on the tenant. Without it, the `Host` header is used.
   */
  readonly hostname?: string
  /** Route parameters, for guards that compare them with claims. */
  readonly params?: unknown
  /**
   * The request target as received, before any router rewrote it (Express, Koa and Fastify all
   * call it `originalUrl`): the path a DPoP proof's `htu` names (RFC 9449 §4.3).
   */
  readonly originalUrl?: string
  /** The connection, for DPoP `htu` (its scheme) and certificate-bound tokens (RFC 8705 §3). */
  readonly socket?: RequestSocket
}
