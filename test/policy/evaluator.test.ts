import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { guardFor, PolicyError, type Requirement } from 'oidc-guard'
import { compareVersions } from '../../src/policy/version-order.js'
import { clientIp, compileCidrs, normalizeIp } from '../../src/policy/client-ip.js'
import { compileRedaction } from '../../src/policy/env.js'
import { parsePolicyText } from '../../src/policy/parse.js'
import { replayDecision } from '../../src/policy/replay.js'
import { authOf, compile, doc, requestOf, withCondition } from './helpers.js'

const allowed = (
  policy: ReturnType<typeof compile>,
  ...args: Parameters<ReturnType<typeof compile>['decide']>
) => policy.decide(...args).allowed

describe('policy documents: validation with positions', () => {
  it('parsePolicyText() names file, line, column and field path (rules[1].allow.anyOf[1].role)', () => {
    const text = [
      'version: 3',
      'actions: { a: null }',
      'rules:',
      '  - action: a',
      '    allow: { role: admin }',
      '  - action: a',
      '    allow:',
      '      anyOf:',
      '        - role: ok',
      '        - role: 7',
    ].join('\n')
    const error = (() => {
      try {
        parsePolicyText(text, 'policy.yaml')
      } catch (caught) {
        return caught as PolicyError
      }
    })()
    expect(error).toBeInstanceOf(PolicyError)
    expect(error?.issues[0]).toMatchObject({
      source: 'policy.yaml',
      line: 10,
      column: 17,
      path: 'rules[1].allow.anyOf[1].role',
    })
    expect(error?.message).toContain(
      'policy.yaml:10:17 rules[1].allow.anyOf[1].role: expected string',
    )
  })

  it('parsePolicyText() reads JSON with positions, refuses duplicate keys and unknown fields', () => {
    expect(() => parsePolicyText('{"version": 1, "version": 2}', 'p.json')).toThrow(/p.json:1:/)
    expect(() =>
      parsePolicyText('{"version": 1, "actions": {}, "rules": [], "extra": true}', 'p.json'),
    ).toThrow(/p.json:1:\d+ extra: unknown field/)
  })

  it('version is required; a float version must be quoted', () => {
    expect(() => parsePolicyText('actions: {}\nrules: []')).toThrow(/version/)
    expect(() => parsePolicyText('version: 1.10\nactions: {}\nrules: []')).toThrow(/quote/)
    expect(parsePolicyText("version: '1.10'\nactions: {}\nrules: []").document.version).toBe('1.10')
  })

  it('a rule needs exactly one of allow and deny; a comparison exactly one operator', () => {
    expect(() => compile(doc({ rules: [{ action: 'a' }] }))).toThrow(/exactly one of allow, deny/)
    expect(() => withCondition({ claim: 'x', equals: 1, in: [1] })).toThrow(/exactly one of equals/)
  })

  it('unknown actions in rules or routes, unknown roles, predicates, zones, CIDRs fail the load', () => {
    const error = (() => {
      try {
        compile(
          doc({
            roles: { admin: { inherits: ['ghost'] } },
            rules: [
              { action: 'nope', allow: true },
              {
                action: 'a',
                allow: true,
                when: [
                  { predicate: 'missing' },
                  { time: { zone: 'Mars/Olympus' } },
                  { ip: ['300.1.1.1/8'] },
                ],
              },
            ],
            routes: { 'GET /x': 'unknown.action' },
          }),
        )
      } catch (caught) {
        return caught as PolicyError
      }
    })()
    const messages = error?.issues.map((issue) => `${issue.path}: ${issue.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        'roles.admin.inherits[0]: unknown role "ghost"',
        'rules[0].action: unknown action "nope" (declare it under actions)',
        expect.stringMatching(/^rules\[1\]\.when\[0\]\.predicate: unknown predicate "missing"/),
        'rules[1].when[1].time.zone: unknown IANA time zone "Mars/Olympus"',
        'rules[1].when[2].ip[0]: expected an IP address or CIDR range',
        'routes.GET /x: unknown action "unknown.action"',
      ]),
    )
  })

  it('role hierarchy cycles are refused, naming the cycle', () => {
    expect(() =>
      compile(
        doc({ roles: { a: { inherits: ['b'] }, b: { inherits: ['c'] }, c: { inherits: ['a'] } } }),
      ),
    ).toThrow(/cycle in role hierarchy: a → b → c → a/)
  })

  it('duplicate rule ids and conflicting route parameters are refused', () => {
    expect(() =>
      compile(
        doc({
          rules: [
            { id: 'x', action: 'a', allow: true },
            { id: 'x', action: 'a', allow: true },
          ],
        }),
      ),
    ).toThrow(/duplicate rule id "x"/)
    expect(() => compile(doc({ routes: { 'GET /a/:x': 'a', 'GET /a/:y': 'a' } }))).toThrow(
      /parameter :y where another binding has :x/,
    )
    expect(() => compile(doc({ routes: { 'GET /a/*/b': 'a' } }))).toThrow(/last segment/)
  })

  it('a requirement is checked by guardFor (bad scope syntax is a load error)', () => {
    expect(() => compile(doc({ rules: [{ action: 'a', allow: { scope: 'has space' } }] }))).toThrow(
      /rules\[0\]\.allow: requireScope\(\) got "has space"/,
    )
  })
})

describe('policy decisions', () => {
  const policy = compile(
    doc({
      version: 7,
      actions: { read: null, refund: null, other: null },
      roles: {
        admin: { inherits: ['editor'], permissions: ['orders.refund'] },
        editor: { inherits: ['viewer'], permissions: ['orders.write'] },
        viewer: { permissions: ['orders.read'] },
      },
      scopes: { 'orders:read': ['orders.read'] },
      groups: { support: ['orders.refund'] },
      rules: [
        { id: 'readers', action: 'read', allow: { permission: 'orders.read' } },
        { id: 'refunders', action: 'refund', allow: { permission: 'orders.refund' } },
        { id: 'editors-by-role', action: 'other', allow: { role: 'editor' } },
        { id: 'no-suspended', action: ['read', 'refund'], deny: { claims: { suspended: true } } },
      ],
    }),
  )

  it('deny by default: an action without a matching rule is denied, naming "no rule"', () => {
    const decision = policy.decide('read', authOf())
    expect(decision).toMatchObject({ allowed: false, version: 7, action: 'read', rule: undefined })
    expect(decision.reason).toBe('no rule allows read')
  })

  it('the role hierarchy grants inherited roles and permissions', () => {
    expect(policy.decide('refund', authOf({ roles: ['admin'] }))).toMatchObject({
      allowed: true,
      rule: 'refunders',
      version: 7,
    })
    expect(allowed(policy, 'read', authOf({ roles: ['admin'] }))).toBe(true)
    expect(allowed(policy, 'other', authOf({ roles: ['admin'] }))).toBe(true)
    expect(allowed(policy, 'refund', authOf({ roles: ['editor'] }))).toBe(false)
    expect(allowed(policy, 'other', authOf({ roles: ['viewer'] }))).toBe(false)
  })

  it('scopes and groups map to permissions; token permissions count as they are', () => {
    expect(allowed(policy, 'read', authOf({ scopes: ['orders:read'] }))).toBe(true)
    expect(allowed(policy, 'refund', authOf({ groups: ['support'] }))).toBe(true)
    expect(allowed(policy, 'refund', authOf({ permissions: ['orders.refund'] }))).toBe(true)
  })

  it('a matching deny rule wins over every allow rule', () => {
    const decision = policy.decide(
      'refund',
      authOf({ roles: ['admin'], claims: { suspended: true } }),
    )
    expect(decision).toMatchObject({ allowed: false, rule: 'no-suspended' })
  })

  it('an unknown action name never allows', () => {
    expect(policy.decide('ghost', authOf({ roles: ['admin'] }))).toMatchObject({
      allowed: false,
      reason: 'unknown action ghost',
    })
  })

  it('allow decisions are built once (no allocation on the allow path)', () => {
    const auth = authOf({ roles: ['admin'] })
    expect(policy.decide('refund', auth)).toBe(
      policy.decide('refund', authOf({ roles: ['admin'] })),
    )
  })

  it('explain() traces every rule with the values it read', () => {
    const { decision, rules } = policy.explain('refund', authOf({ roles: ['editor'] }))
    expect(decision.allowed).toBe(false)
    expect(rules.map((rule) => [rule.id, rule.effect, rule.trace.pass])).toEqual([
      ['no-suspended', 'deny', false],
      ['refunders', 'allow', false],
    ])
    expect(rules[1]?.trace.read).toMatchObject({ 'auth.roles': ['editor'] })
  })
})

describe('requirements in the guard shape mean what the guard means', () => {
  const names = fc.constantFrom('a', 'b', 'c')
  const list = fc.uniqueArray(names, { minLength: 1, maxLength: 2 })
  const leafRequirement: fc.Arbitrary<Requirement> = fc.oneof(
    fc.record({ scope: list }),
    fc.record({ anyScope: list }),
    fc.record({ role: list }),
    fc.record({ anyRole: list }),
    fc.record({ permission: list }),
    fc.record({ anyPermission: list }),
    fc.record({ group: list }),
    fc.record({ anyGroup: list }),
    fc
      .record({
        claims: fc.dictionary(fc.constantFrom('dept', 'level'), fc.constantFrom('x', 'y', 1)),
      })
      .filter((value) => Object.keys(value.claims ?? {}).length > 0),
    fc.constant({ tenant: { param: 'tenantId' } }),
    fc.constant({ claimMatches: { sub: { param: 'userId' } } }),
    fc.constant({ tenant: { host: 'subdomain' as const } }),
    fc.constant({ claimMatches: { sub: { header: 'X-User' } } }),
  )
  const requirement = fc.letrec<{ req: Requirement }>((tie) => ({
    req: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leafRequirement,
      fc.record({ allOf: fc.array(tie('req'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ anyOf: fc.array(tie('req'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ not: tie('req') }),
    ),
  })).req
  const context = fc.record({
    scopes: fc.subarray(['a', 'b', 'c']),
    roles: fc.subarray(['a', 'b', 'c']),
    groups: fc.subarray(['a', 'b', 'c']),
    permissions: fc.subarray(['a', 'b', 'c']),
    tenant: fc.option(fc.constantFrom('acme', 'other'), { nil: undefined }),
    dept: fc.option(fc.constantFrom('x', 'y', ['x', 'z']), { nil: undefined }),
    level: fc.option(fc.constantFrom(1, '1'), { nil: undefined }),
    sub: fc.constantFrom('alice', 'bob'),
    userId: fc.option(fc.constantFrom('alice', 'bob'), { nil: undefined }),
    tenantId: fc.option(fc.constantFrom('acme', 'other'), { nil: undefined }),
    host: fc.constantFrom('acme.api.test', 'api', 'other.api.test'),
  })

  it('a compiled rule allows exactly when guardFor(requirement) allows (documents without maps)', () => {
    fc.assert(
      fc.property(requirement, context, (req, ctx) => {
        const policy = compile(doc({ rules: [{ action: 'a', allow: req }] }))
        const auth = authOf({
          subject: ctx.sub,
          scopes: ctx.scopes,
          roles: ctx.roles,
          groups: ctx.groups,
          permissions: ctx.permissions,
          tenant: ctx.tenant,
          claims: { sub: ctx.sub, dept: ctx.dept, level: ctx.level },
        })
        const request = requestOf({
          params: { userId: ctx.userId, tenantId: ctx.tenantId },
          headers: { host: ctx.host, 'x-user': ctx.userId },
        })
        const expected = guardFor(req).evaluate(auth, request).allowed
        expect(policy.decide('a', auth, { request }).allowed).toBe(expected)
      }),
      { numRuns: 400 },
    )
  })
})

describe('ABAC conditions', () => {
  const auth = authOf({
    subject: 'alice',
    claims: { amr: ['pwd', 'mfa'], level: 5, dept: 'sales', auth_time: 1_700_000_000, org: 'acme' },
  })
  const decide = (when: unknown, input = {}, a = auth) =>
    withCondition(when).decide('a', a, input).allowed

  it.each([
    [{ claim: 'dept', equals: 'sales' }, true],
    [{ claim: 'dept', equals: 'ops' }, false],
    [{ claim: 'missing', equals: 'x' }, false],
    [{ claim: 'dept', notEquals: 'ops' }, true],
    [{ claim: 'missing', notEquals: 'ops' }, false],
    [{ claim: 'dept', in: ['ops', 'sales'] }, true],
    [{ claim: 'amr', in: ['otp', 'mfa'] }, true],
    [{ claim: 'dept', in: ['ops'] }, false],
    [{ claim: 'amr', contains: 'mfa' }, true],
    [{ claim: 'amr', contains: ['mfa', 'pwd'] }, true],
    [{ claim: 'amr', contains: 'otp' }, false],
    [{ claim: 'dept', contains: 'sa' }, false],
    [{ claim: 'level', gt: 4 }, true],
    [{ claim: 'level', gte: 5 }, true],
    [{ claim: 'level', lt: 5 }, false],
    [{ claim: 'level', lte: 5 }, true],
    [{ claim: 'dept', gt: 1 }, false],
    [{ claim: 'auth_time', after: '2023-01-01T00:00:00Z' }, true],
    [{ claim: 'auth_time', before: '2023-01-01T00:00:00Z' }, false],
    [{ claim: 'auth_time', before: 'not a date' }, false],
    [{ claim: 'dept', exists: true }, true],
    [{ claim: 'missing', exists: false }, true],
    [{ claim: 'org', equals: { claim: 'dept' } }, false],
    [{ auth: 'subject', equals: 'alice' }, true],
    [{ auth: 'roles', contains: 'admin' }, false],
    [
      {
        allOf: [
          { claim: 'dept', equals: 'sales' },
          { claim: 'level', gt: 9 },
        ],
      },
      false,
    ],
    [
      {
        anyOf: [
          { claim: 'dept', equals: 'ops' },
          { claim: 'level', gt: 1 },
        ],
      },
      true,
    ],
    [{ not: { claim: 'dept', equals: 'sales' } }, false],
  ])('claim and auth comparisons: %j → %s', (when, expected) => {
    expect(decide(when)).toBe(expected)
  })

  it('date comparison with "now" reads the decision instant', () => {
    const when = { claim: 'auth_time', after: 'now' }
    expect(
      withCondition(when).decide('a', authOf({ claims: { auth_time: Date.now() / 1000 + 60 } }))
        .allowed,
    ).toBe(true)
    expect(
      withCondition(when).decide('a', authOf({ claims: { auth_time: Date.now() / 1000 - 60 } }))
        .allowed,
    ).toBe(false)
  })

  it('request attributes: params (route params first), query, headers, method, path, host', () => {
    const request = requestOf({
      method: 'POST',
      originalUrl: '/orders/7?x=1',
      params: { id: '7' },
      query: { amount: '250' },
      headers: { 'x-channel': 'web', host: 'acme.api.test' },
    })
    expect(decide({ request: 'params.id', equals: '7' }, { request })).toBe(true)
    expect(decide({ request: 'query.amount', gt: 100 }, { request })).toBe(true)
    expect(decide({ request: 'query.amount', lte: 100 }, { request })).toBe(false)
    expect(decide({ request: 'headers.X-Channel', equals: 'web' }, { request })).toBe(true)
    expect(decide({ request: 'method', in: ['POST', 'PUT'] }, { request })).toBe(true)
    expect(decide({ request: 'path', equals: '/orders/7' }, { request })).toBe(true)
    expect(decide({ request: 'host', equals: 'acme.api.test' }, { request })).toBe(true)
    expect(decide({ request: 'params.id', exists: true })).toBe(false)
  })

  it('resource attributes passed by the handler: resource.ownerId == auth.subject', () => {
    const when = { resource: 'ownerId', equals: { auth: 'subject' } }
    expect(decide(when, { resource: { ownerId: 'alice' } })).toBe(true)
    expect(decide(when, { resource: { ownerId: 'bob' } })).toBe(false)
    expect(decide(when, {})).toBe(false)
    expect(
      decide({ resource: 'order.total', lt: 100 }, { resource: { order: { total: 42 } } }),
    ).toBe(true)
  })

  it('client IP in CIDR ranges, from the socket unless a trusted proxy forwards it', () => {
    const policy = withCondition(
      { ip: ['10.0.0.0/8', '2001:db8::/32'] },
      { trustedProxies: ['192.168.0.0/16'] },
    )
    const from = (remoteAddress: string, forwarded?: string) =>
      policy.decide('a', auth, {
        request: requestOf({
          socket: { remoteAddress },
          headers: forwarded ? { 'x-forwarded-for': forwarded } : {},
        }),
      }).allowed
    expect(from('10.1.2.3')).toBe(true)
    expect(from('::ffff:10.1.2.3')).toBe(true)
    expect(from('2001:db8::1')).toBe(true)
    expect(from('8.8.8.8')).toBe(false)
    // An untrusted peer cannot claim an address by sending the header.
    expect(from('8.8.8.8', '10.1.2.3')).toBe(false)
    // Behind a trusted proxy, the first untrusted hop from the right is the client.
    expect(from('192.168.1.1', '8.8.8.8, 10.1.2.3')).toBe(true)
    expect(from('192.168.1.1', '10.1.2.3, 8.8.8.8')).toBe(false)
    expect(from('192.168.1.1', '10.1.2.3, 192.168.5.5')).toBe(true)
    expect(from('192.168.1.1', 'garbage')).toBe(false)
  })

  it('clientIp() and CIDR parsing edge cases', () => {
    const trusted = compileCidrs(['127.0.0.1'], () => {})
    expect(clientIp('127.0.0.1', ['10.0.0.1', '10.0.0.2'], trusted)).toBe('10.0.0.2')
    expect(clientIp('127.0.0.1', '127.0.0.1', trusted)).toBe('127.0.0.1')
    expect(clientIp('127.0.0.1', undefined, trusted)).toBe('127.0.0.1')
    expect(normalizeIp('[::1]')).toBe('::1')
    expect(normalizeIp('nope')).toBeUndefined()
    const bad: number[] = []
    compileCidrs(['1.2.3.4/33', '1.2.3.4/8/9', '::1/129', '::1/x', 'x'], (index) => bad.push(index))
    expect(bad).toEqual([0, 1, 2, 3, 4])
  })

  it('time windows: days and hours in an IANA zone, wrapping past midnight', () => {
    const at = (iso: string, window: Record<string, unknown>) =>
      withCondition({ time: window }).explain('a', auth, { now: Date.parse(iso) }).decision.allowed
    const office = {
      zone: 'Europe/Paris',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      from: '09:00',
      to: '17:00',
    }
    // 2026-12-01 is a Tuesday; Paris is UTC+1 in winter.
    expect(at('2026-12-01T08:30:00Z', office)).toBe(true)
    expect(at('2026-12-01T07:30:00Z', office)).toBe(false)
    expect(at('2026-12-01T16:00:00Z', office)).toBe(false)
    expect(at('2026-12-05T10:00:00Z', office)).toBe(false)
    // Summer time: UTC+2.
    expect(at('2026-07-01T07:30:00Z', office)).toBe(true)
    const night = { zone: 'America/New_York', days: ['fri'], from: '22:00', to: '06:00' }
    // Saturday 02:00 in New York belongs to Friday's night shift.
    expect(at('2026-12-05T07:00:00Z', night)).toBe(true)
    expect(at('2026-12-06T07:00:00Z', night)).toBe(false)
    expect(at('2026-12-04T23:00:00Z', { zone: 'UTC' })).toBe(true)
  })

  it('custom predicates registered in code; a throwing predicate denies', () => {
    const seen: unknown[] = []
    const policy = withCondition(
      { predicate: 'isVip' },
      {},
      {
        isVip: ({ auth: a, resource }) => {
          seen.push(resource)
          return a.subject === 'alice'
        },
      },
    )
    expect(policy.decide('a', auth, { resource: { id: 1 } }).allowed).toBe(true)
    expect(seen).toEqual([{ id: 1 }])
    const throwing = withCondition(
      { predicate: 'boom' },
      {},
      {
        boom: () => {
          throw new Error('database down')
        },
      },
    )
    expect(throwing.decide('a', auth).allowed).toBe(false)
  })
})

describe('route bindings', () => {
  const policy = compile(
    doc({
      actions: { list: null, read: null, refund: null, any: null, files: null, root: null },
      rules: [{ action: ['list', 'read', 'refund', 'any', 'files', 'root'], allow: true }],
      routes: {
        'GET /': 'root',
        'GET /orders': 'list',
        'GET /orders/:id': 'read',
        'GET /orders/export': 'list',
        'POST /orders/:id/refund': 'refund',
        '* /health': 'any',
        'GET /files/*': 'files',
      },
    }),
  )
  const route = (method: string, path: string) => {
    const match = policy.route(method, path)
    return match && [match.binding.action, match.params]
  }

  it('matches static before :param before *, with HEAD falling back to GET', () => {
    expect(route('GET', '/')).toEqual(['root', {}])
    expect(route('GET', '/orders')).toEqual(['list', {}])
    expect(route('GET', '/orders/')).toEqual(['list', {}])
    expect(route('GET', '/orders/export')).toEqual(['list', {}])
    expect(route('GET', '/orders/7')).toEqual(['read', { id: '7' }])
    expect(route('GET', '/orders/a%20b')).toEqual(['read', { id: 'a b' }])
    expect(route('GET', '/orders/%E0%A4%A')).toEqual(['read', { id: '%E0%A4%A' }])
    expect(route('HEAD', '/orders/7')).toEqual(['read', { id: '7' }])
    expect(route('POST', '/orders/7/refund')).toEqual(['refund', { id: '7' }])
    expect(route('DELETE', '/health')).toEqual(['any', {}])
    expect(route('GET', '/files/a/b/c')).toEqual(['files', {}])
  })

  it('finds nothing for unbound methods, paths and case variants (deny by default)', () => {
    expect(route('POST', '/orders/7')).toBeUndefined()
    expect(route('GET', '/ORDERS')).toBeUndefined()
    expect(route('GET', '/orders/7/refund')).toBeUndefined()
    expect(route('GET', 'orders')).toBeUndefined()
    expect(policy.unbound).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/^no rule/),
    })
  })

  it('bound parameters reach request conditions', () => {
    const guarded = compile(
      doc({
        rules: [
          { action: 'a', allow: true, when: { request: 'params.id', equals: { auth: 'subject' } } },
        ],
        routes: { 'GET /users/:id': 'a' },
      }),
    )
    const match = guarded.route('GET', '/users/alice')
    expect(guarded.decide('a', authOf(), {}, match).allowed).toBe(true)
    expect(guarded.decide('a', authOf(), {}, guarded.route('GET', '/users/bob')).route).toBe(
      'GET /users/:id',
    )
  })
})

describe('recorded inputs, redaction and replay', () => {
  const policy = compile(
    doc({
      version: 1,
      rules: [
        {
          id: 'mfa',
          action: 'a',
          allow: { role: 'admin' },
          when: { claim: 'amr', contains: 'mfa' },
        },
      ],
    }),
  )

  it('inputs() lists every input the action reads, absent ones as null', () => {
    expect(policy.inputs('a', authOf({ roles: ['admin'] }))).toEqual({
      'auth.roles': ['admin'],
      'claims.amr': null,
    })
    expect(policy.inputs('ghost', authOf())).toEqual({})
  })

  it('compileRedaction() always hides credentials and honours exact and prefix paths', () => {
    const redacted = compileRedaction(['claims.email', 'resource.secret*'])
    expect(redacted('request.headers.authorization')).toBe(true)
    expect(redacted('request.headers.cookie')).toBe(true)
    expect(redacted('claims.email')).toBe(true)
    expect(redacted('resource.secretKey')).toBe(true)
    expect(redacted('claims.sub')).toBe(false)
  })

  it('replayDecision() re-decides from recorded inputs and reports what it cannot know', () => {
    const next = compile(
      doc({
        version: 2,
        rules: [{ id: 'ip', action: 'a', allow: { role: 'admin' }, when: { ip: ['10.0.0.0/8'] } }],
      }),
    )
    const record = {
      allowed: true,
      policyVersion: 1,
      action: 'a',
      rule: 'mfa',
      inputs: { 'auth.roles': ['admin'], 'claims.amr': ['mfa'] },
    }
    expect(replayDecision(policy, record)).toMatchObject({ status: 'same' })
    expect(replayDecision(next, record)).toEqual({
      status: 'undetermined',
      action: 'a',
      missing: 'request.ip',
    })
    expect(
      replayDecision(next, { ...record, inputs: { ...record.inputs, 'request.ip': '8.8.8.8' } }),
    ).toMatchObject({
      status: 'changed',
      after: { allowed: false, rule: undefined },
    })
    // A redacted input is unknown, never guessed.
    expect(replayDecision(policy, { ...record, redacted: ['claims.amr'] })).toMatchObject({
      status: 'undetermined',
    })
    expect(replayDecision(policy, { allowed: true, type: 'authenticate' })).toEqual({
      status: 'skipped',
    })
    expect(replayDecision(policy, { allowed: true, policyVersion: 1 })).toEqual({
      status: 'skipped',
    })
  })

  it('replayDecision() routes route-bound decisions again under the new bindings', () => {
    const routed = compile(
      doc({
        version: 2,
        rules: [{ id: 'all', action: 'a', allow: true }],
        routes: { 'GET /x': 'a' },
      }),
    )
    const record = {
      allowed: false,
      policyVersion: 1,
      method: 'GET',
      path: '/x',
      route: 'GET /x',
      inputs: {},
    }
    expect(replayDecision(routed, record)).toMatchObject({ status: 'changed', action: 'a' })
    expect(replayDecision(routed, { ...record, path: '/y', allowed: true })).toMatchObject({
      status: 'changed',
    })
  })
})

describe('compareVersions()', () => {
  it('orders integers numerically and strings with numeric awareness', () => {
    expect(compareVersions(2, 10)).toBeLessThan(0)
    expect(compareVersions('2026.10', '2026.9')).toBeGreaterThan(0)
    expect(compareVersions('v10', 'v9')).toBeGreaterThan(0)
    expect(compareVersions('3', 3)).toBe(0)
  })
})
