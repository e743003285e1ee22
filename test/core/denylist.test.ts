import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ConfigurationError,
  createAuthenticator,
  createDenylist,
  createMemoryDenylistStore,
  isDenylist,
  type DenylistSink,
  type DenylistStore,
} from 'oidc-guard'
import { authContext } from '../helpers/context.js'

const now = () => Math.floor(Date.now() / 1000)
const tokenOf = (claims: Record<string, unknown>, overrides = {}) =>
  authContext(overrides, { iat: now() - 10, ...claims })

afterEach(() => vi.useRealTimers())

describe('createDenylist()', () => {
  it('refuses a token by jti, and tokens issued before a sub, sid or clientId revocation', async () => {
    const denylist = createDenylist()
    await denylist.ready()
    expect(isDenylist(denylist)).toBe(true)
    expect(isDenylist({})).toBe(false)
    expect(denylist.isRevoked(tokenOf({ jti: 'j-1' }))).toBe(false)
    await denylist.revoke({ jti: 'j-1' })
    expect(denylist.isRevoked(tokenOf({ jti: 'j-1' }))).toBe(true)
    expect(denylist.isRevoked(tokenOf({ jti: 'j-2' }))).toBe(false)
    await denylist.revoke({ sub: 'user-1' })
    expect(denylist.isRevoked(tokenOf({}))).toBe(true)
    expect(denylist.isRevoked(tokenOf({}, { subject: 'user-2' }))).toBe(false)
    await denylist.revoke({ sid: 's-1' })
    expect(denylist.isRevoked(tokenOf({ sid: 's-1' }, { subject: 'user-3' }))).toBe(true)
    await denylist.revoke({ clientId: 'leaky' })
    expect(denylist.isRevoked(tokenOf({}, { subject: undefined, clientId: 'leaky' }))).toBe(true)
    expect(denylist.size).toBe(4)
  })

  it('lets tokens issued after the revocation through, and refuses tokens without iat', async () => {
    const denylist = createDenylist()
    await denylist.revoke({ sub: 'user-1' })
    expect(denylist.isRevoked(tokenOf({ iat: now() + 2 }))).toBe(false)
    expect(denylist.isRevoked(authContext({}, { iat: undefined }))).toBe(true)
  })

  it('expires entries on their own: tokenLifetime by default, or until', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    const denylist = createDenylist({ tokenLifetime: 60 })
    await denylist.revoke({ sub: 'user-1' })
    await denylist.revoke({ jti: 'j-1' }, { until: new Date(Date.now() + 10_000) })
    await denylist.revoke({ sid: 'gone' }, { until: now() - 1 })
    expect(denylist.size).toBe(2)
    vi.advanceTimersByTime(11_000)
    expect(denylist.isRevoked(tokenOf({ jti: 'j-1' }, { subject: 'x' }))).toBe(false)
    expect(denylist.isRevoked(tokenOf({ iat: now() - 20 }))).toBe(true)
    vi.advanceTimersByTime(60_000)
    expect(denylist.isRevoked(tokenOf({ iat: now() - 80 }))).toBe(false)
  })

  it('is bounded: revoke() rejects beyond maxEntries once expired entries are dropped', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    const denylist = createDenylist({ maxEntries: 2 })
    await denylist.revoke({ jti: 'a' }, { until: now() + 5 })
    await denylist.revoke({ jti: 'b' })
    await expect(denylist.revoke({ jti: 'c' })).rejects.toThrow(RangeError)
    await denylist.revoke({ jti: 'b' })
    vi.advanceTimersByTime(6000)
    await denylist.revoke({ jti: 'c' })
    expect(denylist.size).toBe(2)
  })

  it('drops expired entries in batches as new ones arrive', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    const denylist = createDenylist()
    for (let index = 0; index < 1023; index++)
      await denylist.revoke({ jti: `old-${index}` }, { until: now() + 1 })
    vi.advanceTimersByTime(2000)
    await denylist.revoke({ jti: 'new' })
    expect(denylist.size).toBe(1)
  })

  it('refuses bad targets and options at once', async () => {
    const denylist = createDenylist()
    await expect(denylist.revoke({} as never)).rejects.toThrow(ConfigurationError)
    await expect(denylist.revoke({ jti: 'a', sub: 'b' } as never)).rejects.toThrow(/exactly one/)
    await expect(denylist.revoke({ sub: '' })).rejects.toThrow(/non-empty/)
    await expect(denylist.revoke({ sub: 'a' }, { until: Number.NaN })).rejects.toThrow(/until/)
    expect(() => createDenylist({ tokenLifetime: 0 })).toThrow(/tokenLifetime/)
    expect(() => createDenylist({ maxEntries: 1.5 })).toThrow(/maxEntries/)
  })

  it('applies what a store delivers, replaces on resync, and reports availability', async () => {
    let sink: DenylistSink | undefined
    const store: DenylistStore = {
      start: (target) => (sink = target),
      add: async () => {},
      invalidate: async () => {},
      close: async () => {},
    }
    const denylist = createDenylist({ store })
    expect(denylist.available).toBe(false)
    expect(denylist.unavailableReason).toBe('The revocation list is not loaded yet')
    const invalidated: (string | undefined)[] = []
    const remove = denylist.onPermissionsInvalidated((subject) => invalidated.push(subject))
    denylist.onPermissionsInvalidated(() => {
      throw new Error('a failing listener')
    })
    sink?.apply([{ kind: 'sub', value: 'u', revokedAt: now(), until: now() + 60 }], true)
    sink?.availability(true)
    await denylist.ready()
    expect(denylist.isRevoked(tokenOf({}, { subject: 'u' }))).toBe(true)
    sink?.apply([{ kind: 'sub', value: 'u', revokedAt: now() - 100, until: now() + 600 }], false)
    expect(denylist.size).toBe(1)
    sink?.availability(false)
    expect(denylist.unavailableReason).toBe('The revocation list is unavailable')
    sink?.apply([], true)
    expect(denylist.size).toBe(0)
    sink?.invalidated('u')
    expect(invalidated).toEqual([undefined, undefined, 'u'])
    remove()
    sink?.invalidated('v')
    expect(invalidated).toHaveLength(3)
    await denylist.close()
  })

  it('the memory store forgets its sink on close', async () => {
    const store = createMemoryDenylistStore()
    const denylist = createDenylist({ store })
    await denylist.close()
    await denylist.revoke({ sub: 'x' })
    await denylist.invalidatePermissions('x')
    expect(denylist.size).toBe(0)
  })
})

describe('the authenticator and the denylist', () => {
  it('authenticator.revoke() reaches its own denylist; a foreign denylist option is refused', async () => {
    const auth = createAuthenticator({ issuer: 'https://idp.example.com', audience: 'api' })
    await auth.revoke({ sub: 'user-1' })
    expect(auth.denylist.size).toBe(1)
    expect(() =>
      createAuthenticator({
        issuer: 'https://idp.example.com',
        audience: 'api',
        denylist: {} as never,
      }),
    ).toThrow(/createDenylist/)
  })
})
