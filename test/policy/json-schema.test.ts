import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { policyJsonSchema } from '../../src/policy/json-schema.js'

describe('schema/policy.schema.json', () => {
  it('equals the JSON Schema generated from the zod schema (run npm run policy:schema)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../schema/policy.schema.json', import.meta.url), 'utf8'),
    )
    expect(committed).toEqual(policyJsonSchema())
  })

  it('describes every top-level field, requires version, actions and rules, and refuses others', () => {
    const schema = policyJsonSchema() as {
      properties: Record<string, unknown>
      required: string[]
      additionalProperties: boolean
    }
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        '$schema',
        'actions',
        'description',
        'groups',
        'roles',
        'routes',
        'rules',
        'scopes',
        'trustedProxies',
        'version',
      ].sort(),
    )
    expect(schema.required.sort()).toEqual(['actions', 'rules', 'version'])
    expect(schema.additionalProperties).toBe(false)
  })
})
