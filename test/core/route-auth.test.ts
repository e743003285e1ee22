import { describe, expect, it } from 'vitest'
import { ConfigurationError, planRouteAuth } from 'oidc-guard'

describe('planRouteAuth()', () => {
  it('maps each declaration to what runs: nothing, authenticate, optional, or a guard', () => {
    expect(planRouteAuth(undefined, 'GET /')).toEqual({ authenticate: 'none', guard: undefined })
    expect(planRouteAuth(false, 'GET /')).toEqual({ authenticate: 'none', guard: undefined })
    expect(planRouteAuth(true, 'GET /')).toEqual({ authenticate: 'required', guard: undefined })
    expect(planRouteAuth('optional', 'GET /').authenticate).toBe('optional')
    const plan = planRouteAuth({ scope: 'orders:read' }, 'GET /orders')
    expect(plan.authenticate).toBe('required')
    expect(plan.guard?.description).toBe('requireScope(orders:read)')
  })

  it('names the route, the allowed values and the value meant', () => {
    expect(() => planRouteAuth('Optional', 'GET /feed')).toThrow(
      'Route GET /feed: invalid "auth": "Optional" is not one of true, false, "optional" or a requirement object such as { scope: "orders:read" }; did you mean "optional"?',
    )
    expect(() => planRouteAuth(1, 'GET /a')).toThrow(
      /^Route GET \/a: invalid "auth": number is not one of true, false, "optional"/,
    )
    expect(() => planRouteAuth(['scope'], 'GET /a')).toThrow(/object is not one of/)
    expect(() => planRouteAuth('public', 'GET /a')).toThrow(/"public" is not one of .*\}$/)
    expect(() => planRouteAuth({ anyRol: 'x' }, 'POST /a')).toThrow(ConfigurationError)
    expect(() => planRouteAuth({ anyRol: 'x' }, 'POST /a')).toThrow(
      'Route POST /a: Invalid oidc-guard requirement:\n  - "anyRol": unknown option; did you mean "anyRole"?',
    )
  })
})
