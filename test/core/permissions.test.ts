import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  createAuthenticator,
  createDenylist,
  type AuthContext,
  type PermissionGrant,
  type PermissionsOptions,
} from 'oidc-guard'

const SECRET = 'a-shared-secret-of-at-least-32-bytes!'
const ISSUER = 'https://idp.example.com'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function hs256(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: ISSUER, aud: 'api', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET))
}

function setup(permissions: PermissionsOptions, denylist = createDenylist()) {
  const authenticator = createAuthenticator({
    issuer: ISSUER,
    audience: 'api',
    secret: SECRET,
    permissions,
    denylist,
  })
  const run = (token: string) =>
    authenticator.resolve({ method: 'GET', headers: { authorization: `Bearer ${token}` } })
  return { authenticator, run, denylist }
}

describe('permissions: { resolve, ttl, maxEntries }', () => {
  it('merges roles, permissions, groups and attributes before guards; one resolver call per subject', async () => {
    let calls = 0
    const { run } = setup({
      resolve: async (auth) => {
        calls += 1
        await sleep(10)
        return {
          roles: ['admin'],
          permissions: ['orders:delete'],
          groups: ['ops'],
          attributes: { plan: 'gold', subject: auth.subject },
        }
      },
    })
    const token = await hs256({ sub: 'user-1', roles: ['viewer'] })
    const results = (await Promise.all([run(token), run(token), run(token)])) as AuthContext[]
    expect(calls).toBe(1)
    expect(results[0]?.roles).toEqual(['viewer', 'admin'])
    expect(results[0]?.permissions).toEqual(['orders:delete'])
    expect(results[0]?.groups).toEqual(['ops'])
    expect(results[0]?.attributes).toEqual({ plan: 'gold', subject: 'user-1' })
    // A held grant answers synchronously, with the same merged object (no allocation).
    const again = run(token)
    expect(again).not.toBeInstanceOf(Promise)
    expect(again).toBe(run(token))
    expect(calls).toBe(1)
  })

  it('re-resolves after ttl and after invalidatePermissions(), here and through the denylist', async () => {
    const grants: Record<string, PermissionGrant> = { 'user-1': { roles: ['a'] } }
    let calls = 0
    const { run, denylist } = setup({
      resolve: (auth) => {
        calls += 1
        return grants[auth.subject ?? ''] ?? {}
      },
      ttl: 40,
    })
    const token = await hs256({ sub: 'user-1' })
    expect(((await run(token)) as AuthContext).roles).toEqual(['a'])
    grants['user-1'] = { roles: ['b'] }
    expect(((await run(token)) as AuthContext).roles).toEqual(['a'])
    await denylist.invalidatePermissions('user-1')
    expect(((await run(token)) as AuthContext).roles).toEqual(['b'])
    await sleep(60)
    await run(token)
    expect(calls).toBe(3)
  })

  it('an invalidation while resolving keeps the stale answer out of the cache', async () => {
    let calls = 0
    const { run, denylist } = setup({
      resolve: async () => {
        calls += 1
        await sleep(20)
        return { roles: [`r${calls}`] }
      },
    })
    const token = await hs256({ sub: 'user-1' })
    const pending = run(token)
    await denylist.invalidatePermissions('user-1')
    await pending
    expect(((await run(token)) as AuthContext).roles).toEqual(['r2'])
  })

  it('disabled: true refuses every request of the subject (401 invalid_token)', async () => {
    const { run } = setup({ resolve: () => ({ disabled: true }) })
    const token = await hs256({ sub: 'user-1' })
    await expect(run(token)).rejects.toMatchObject({
      status: 401,
      message: 'The subject of the access token is disabled',
    })
    expect(() => run(token)).toThrow('The subject of the access token is disabled')
  })

  it.each([
    ['throws', () => Promise.reject(new Error('db down'))],
    ['is slow', () => sleep(200).then(() => ({}))],
    ['returns a bad shape', () => ({ roles: 'admin' }) as unknown as PermissionGrant],
  ])('a resolver that %s fails closed with 503, never a 500', async (_name, resolve) => {
    const { run } = setup({ resolve, timeout: 30 })
    const token = await hs256({ sub: 'user-1' })
    await expect(run(token)).rejects.toMatchObject({
      status: 503,
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
      message: 'The permission store is temporarily unavailable',
      headers: { 'Retry-After': '5' },
    })
  })

  it('uses the configured fallback when the resolver fails, without caching it', async () => {
    let calls = 0
    const { run } = setup({
      resolve: () => {
        calls += 1
        throw new Error('db down')
      },
      fallback: { roles: ['guest'] },
    })
    const token = await hs256({ sub: 'user-1' })
    expect(((await run(token)) as AuthContext).roles).toEqual(['guest'])
    await run(token)
    expect(calls).toBe(2)
  })

  it('keys by client for tokens without sub, and skips tokens naming neither', async () => {
    const seen: (string | undefined)[] = []
    const { run } = setup({
      resolve: (auth) => {
        seen.push(auth.clientId)
        return {}
      },
    })
    await run(await hs256({ client_id: 'machine' }))
    const anonymous = run(await hs256({}))
    expect(anonymous).not.toBeInstanceOf(Promise)
    expect(seen).toEqual(['machine'])
  })

  it('refuses bad options at startup', () => {
    expect(() =>
      createAuthenticator({
        issuer: ISSUER,
        audience: 'api',
        permissions: { ttl: 5 } as never,
      }),
    ).toThrow(ConfigurationError)
  })

  it('close() drops the grants and stops listening to invalidations', async () => {
    const { authenticator, run, denylist } = setup({ resolve: () => ({ roles: ['a'] }) })
    await run(await hs256({ sub: 'user-1' }))
    authenticator.close()
    await denylist.invalidatePermissions('user-1')
    expect(run(await hs256({ sub: 'user-1' }))).toBeInstanceOf(Promise)
  })
})
