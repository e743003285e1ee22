import type { AuthContext, AuthRequest } from 'oidc-guard'
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js'
import type { PolicyPredicate } from '../../src/policy/env.js'
import { validateDocument } from '../../src/policy/parse.js'

/** An AuthContext as the authenticator builds it, for evaluator tests. */
export function authOf(fields: Partial<AuthContext> & { claims?: Record<string, unknown> } = {}) {
  const claims = { sub: fields.subject ?? 'alice', ...fields.claims }
  return Object.freeze({
    token: 'not-a-real-token',
    subject: 'alice',
    issuer: 'https://issuer.test',
    audience: ['orders-api'],
    clientId: 'client-1',
    scopes: [],
    roles: [],
    groups: [],
    permissions: [],
    tenant: undefined,
    email: undefined,
    emailVerified: undefined,
    name: undefined,
    expiresAt: 0,
    ...fields,
    claims,
  }) as AuthContext
}

/** A request as an adapter presents it. */
export function requestOf(
  fields: Partial<AuthRequest> & { originalUrl?: string } = {},
): AuthRequest {
  return { method: 'GET', path: '/', headers: {}, ...fields }
}

/** A minimal valid document with one action `a`, plus overrides. */
export function doc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, actions: { a: null }, rules: [], ...overrides }
}

export function compile(
  document: Record<string, unknown>,
  predicates: Record<string, PolicyPredicate> = {},
): CompiledPolicy {
  return compilePolicy(validateDocument(document), {
    predicates: new Map(Object.entries(predicates)),
  })
}

/** Compiles a document whose action `a` has one allow rule with the given `when`. */
export function withCondition(
  when: unknown,
  extra: Record<string, unknown> = {},
  predicates: Record<string, PolicyPredicate> = {},
): CompiledPolicy {
  return compile(
    doc({ rules: [{ id: 'r', action: 'a', allow: true, when }], ...extra }),
    predicates,
  )
}
