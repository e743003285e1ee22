import { z } from 'zod'
import { formatIssues } from '../config/options.js'
import { ConfigurationError } from '../errors/errors.js'
import type { AuthContext } from '../verify/auth-context.js'
import { createBundleVerifier, type PolicySignatureOptions } from './bundle.js'
import {
  compilePolicy,
  type CompiledPolicy,
  type DecisionInput,
  type PolicyDecision,
} from './compile.js'
import { compileRedaction, type PolicyPredicate } from './env.js'
import { parsePolicyText, validateDocument, type SourcedDocument } from './parse.js'
import { PolicyError } from './policy-error.js'
import { fileSource, urlSource, type PolicySource } from './sources.js'
import { compareVersions } from './version-order.js'

/** Options of `loadPolicy()` shared by every source. */
export interface CommonPolicyOptions {
  /** Custom conditions, named in documents as `predicate: <name>`. */
  predicates?: Record<string, PolicyPredicate>
  /** Actions the code uses with `requireAction`; a document without one is refused. */
  actions?: string[]
  /** Accept a version lower than the running one. Default false (no rollback attacks). */
  allowRollback?: boolean
  /**
   * Inputs never written to decision events, e.g. `['claims.email', 'claims.*']`.
   * `Authorization`, `Cookie` and `Proxy-Authorization` headers are never written.
   */
  redact?: string[]
  /** Largest document accepted, in bytes. Default 1048576. */
  maxDocumentSize?: number
  /** Requires the text (file or URL) to be a signed bundle; see `PolicySignatureOptions`. */
  signature?: PolicySignatureOptions
}

/**
 * Where the policy comes from: a file (optionally watched), a URL polled with ETags, or a
 * document given in code.
 */
export type LoadPolicyOptions = CommonPolicyOptions &
  (
    | { file: string; watch?: boolean; url?: undefined; document?: undefined }
    | {
        url: string
        /** Milliseconds between polls. Default 30000. */
        interval?: number
        /** Milliseconds for one fetch, body included. Default 5000. */
        timeoutDuration?: number
        /** The `fetch` used. Default: the global `fetch`. */
        fetch?: typeof fetch
        file?: undefined
        document?: undefined
      }
    | { document: unknown; file?: undefined; url?: undefined }
  )

/** A new version in service. */
export interface PolicyUpdate {
  readonly version: string | number
  readonly previous: string | number
  /** The file, the URL, or `set()`. */
  readonly source: string
}

/** A new version refused; the running one keeps serving. */
export interface PolicyRejection {
  readonly source: string
  /** Why, in words safe to log (never a token). */
  readonly reason: string
  readonly error: Error
}

/** The events a {@link Policy} emits, by name. */
export interface PolicyEvents {
  /** A new version went into service. */
  update: PolicyUpdate
  /** A new version was refused; the running one keeps serving. */
  rejected: PolicyRejection
}

/** The running version, as requests pin it. */
export interface PolicyState {
  readonly policy: Policy
  readonly compiled: CompiledPolicy
}

/**
 * A loaded policy: the running version, decisions, and reloads that swap versions atomically.
 */
export interface Policy {
  /** The running version. */
  readonly version: string | number
  /** The running compiled document (a request keeps the one it started with). */
  readonly state: PolicyState
  /**
   * Decides an action for a caller, e.g. in a handler for record- or field-level checks. With
   * `request`, the version pinned by `authenticate()` for that request is used.
   * @example policy.can(req.auth, 'orders.refund', { resource: order, request: req }).allowed
   */
  can(auth: AuthContext, action: string, input?: DecisionInput): PolicyDecision
  /** Validates, compiles and swaps in a document. @throws PolicyError (also a `rejected` event) */
  set(document: unknown): void
  /** Reads the file or URL now (e.g. when told a new version is out). Resolves to true on success. */
  refresh(): Promise<boolean>
  /**
   * Listens for `update` (a new version in service) or `rejected` (a new version refused, the
   * running one keeps serving). Returns a function that removes the listener.
   * @example const off = policy.on('rejected', (event) => logger.warn(event.reason))
   */
  on<E extends keyof PolicyEvents>(event: E, listener: (event: PolicyEvents[E]) => void): () => void
  /** Records that code relies on an action: a later document without it is refused. */
  use(action: string): void
  /** True for input names kept out of decision events. */
  isRedacted(input: string): boolean
  /** Stops watching or polling. */
  close(): void
}

const PINNED = Symbol.for('oidc-guard.policy-state')

/** Pins the running version on a request so every decision it makes uses that version. */
export function pinPolicy(request: object, policy: Policy): void {
  const holder = ((request as { source?: object }).source ?? request) as Record<symbol, unknown>
  holder[PINNED] = policy.state
}

/** The version a request pinned, if any. */
export function pinnedPolicy(request: object | undefined): PolicyState | undefined {
  if (request === undefined) return undefined
  const holder = ((request as { source?: object }).source ?? request) as Record<symbol, unknown>
  return holder[PINNED] as PolicyState | undefined
}

const optionsSchema = z
  .strictObject({
    file: z.string().min(1).optional(),
    watch: z.boolean().optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    interval: z.number().int().min(100).optional(),
    timeoutDuration: z.number().int().positive().optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
    document: z.unknown().optional(),
    predicates: z
      .record(
        z.string(),
        z.custom<PolicyPredicate>((value) => typeof value === 'function', 'Expected a function'),
      )
      .optional(),
    actions: z.array(z.string().min(1)).optional(),
    allowRollback: z.boolean().optional(),
    redact: z.array(z.string().min(1)).optional(),
    maxDocumentSize: z.number().int().positive().optional(),
    signature: z
      .strictObject({
        publicKey: z
          .custom<object>((value) => value !== null && typeof value === 'object')
          .optional(),
        jwks: z.union([z.url(), z.strictObject({ keys: z.array(z.looseObject({})) })]).optional(),
        algorithms: z.array(z.string()).min(1).optional(),
        typ: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine(
    (options) =>
      [options.file, options.url, options.document].filter((item) => item !== undefined).length ===
      1,
    'Expected exactly one of file, url, document',
  )

/**
 * Loads, validates and compiles a policy document, then keeps it current: a watched file or a
 * polled URL is re-read on change; a new version is compiled completely before it replaces the
 * running one; an invalid, unsigned, tampered, unreachable or older version is refused with a
 * `rejected` event while the running version keeps serving.
 *
 * @throws PolicyError (a `ConfigurationError`) when the first document is invalid or unreachable
 * @example
 * const policy = await loadPolicy({ file: './policy.yaml', watch: true })
 * app.use(authenticate({ issuer, audience, policy }))
 * app.get('/orders/:id', enforcePolicy(), handler)
 * @see docs/policy.md
 */
export async function loadPolicy(input: LoadPolicyOptions): Promise<Policy> {
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    throw new ConfigurationError(formatIssues('Invalid loadPolicy() options:', parsed.error.issues))
  }
  const options = parsed.data
  const maxSize = options.maxDocumentSize ?? 1_048_576
  const timeoutDuration = options.timeoutDuration ?? 5000
  const predicates = new Map(Object.entries(options.predicates ?? {}))
  const used = new Set(options.actions ?? [])
  const isRedacted = compileRedaction(options.redact ?? [])
  const verify = options.signature
    ? createBundleVerifier(options.signature as PolicySignatureOptions, timeoutDuration)
    : undefined
  const source: PolicySource | undefined = options.file
    ? fileSource(options.file, options.watch ?? false, maxSize)
    : options.url
      ? urlSource(options.url, {
          interval: options.interval ?? 30_000,
          timeoutDuration,
          maxSize,
          fetch: options.fetch ?? fetch,
        })
      : undefined

  async function fromText(text: string, name: string): Promise<SourcedDocument> {
    if (!verify) return parsePolicyText(text, name)
    return parsePolicyText(await verify(text), name)
  }
  const compile = (sourced: SourcedDocument) =>
    compilePolicy(sourced, { predicates, requiredActions: used })

  let state: PolicyState
  const listeners: { [E in keyof PolicyEvents]: Set<(event: PolicyEvents[E]) => void> } = {
    update: new Set(),
    rejected: new Set(),
  }
  function emit<E extends keyof PolicyEvents>(event: E, payload: PolicyEvents[E]): void {
    for (const listener of listeners[event]) {
      try {
        listener(payload)
      } catch {
        // A failing listener must not stop the swap or the other listeners.
      }
    }
  }

  function swap(next: CompiledPolicy, name: string): void {
    const running = state.compiled
    if (next.digest === running.digest) return
    const order = compareVersions(next.version, running.version)
    if (order === 0) {
      throw new PolicyError(
        [
          {
            path: 'version',
            message: `version ${next.version} is already running with other content; raise the version`,
          },
        ],
        'Policy refused',
      )
    }
    if (order < 0 && options.allowRollback !== true) {
      throw new PolicyError(
        [
          {
            path: 'version',
            message: `version ${next.version} is older than the running ${running.version} (rollback refused)`,
          },
        ],
        'Policy refused',
      )
    }
    // One reference write: requests that pinned the old state keep it until they finish.
    state = { policy, compiled: next }
    emit('update', { version: next.version, previous: running.version, source: name })
  }

  function reject(name: string, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error))
    emit('rejected', { source: name, reason: err.message, error: err })
  }

  let closed = false
  let pending: Promise<boolean> | undefined
  async function refreshOnce(): Promise<boolean> {
    if (!source || closed) return false
    try {
      const text = await source.read()
      if (text === undefined) return true
      swap(compile(await fromText(text, source.name)), source.name)
      return true
    } catch (error) {
      reject(source.name, error)
      return false
    }
  }
  // Reloads never overlap: a change arriving during one is read by a second pass.
  function refresh(): Promise<boolean> {
    if (pending) return pending.then(() => refreshOnce())
    pending = refreshOnce().finally(() => {
      pending = undefined
    })
    return pending
  }

  const policy: Policy = {
    get version() {
      return state.compiled.version
    },
    get state() {
      return state
    },
    can(auth, action, decisionInput) {
      const pinned = pinnedPolicy(decisionInput?.request)
      const compiled = pinned?.policy === policy ? pinned.compiled : state.compiled
      return compiled.decide(action, auth, decisionInput)
    },
    set(document) {
      try {
        swap(compile(validateDocument(document)), 'set()')
      } catch (error) {
        reject('set()', error)
        throw error
      }
    },
    refresh,
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>
      set.add(listener)
      return () => void set.delete(listener)
    },
    use(action) {
      used.add(action)
    },
    isRedacted,
    close() {
      closed = true
      source?.close()
    },
  }

  try {
    const first = source
      ? await fromText((await source.read()) as string, source.name)
      : validateDocument(options.document)
    state = { policy, compiled: compile(first) }
  } catch (error) {
    source?.close()
    if (error instanceof ConfigurationError) throw error
    throw new PolicyError(
      [{ source: source?.name, path: '', message: (error as Error).message }],
      'Policy unavailable',
    )
  }
  source?.start(refresh)
  return policy
}
