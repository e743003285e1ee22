import { z } from 'zod'
import { policyDocumentSchema } from './schema.js'

/**
 * The JSON Schema (draft 2020-12) of policy documents, generated from the zod schema that
 * validates them, so editors check YAML with the same rules as `loadPolicy`. Committed as
 * schema/policy.schema.json; a test keeps the two equal.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyDocumentSchema, {
    io: 'input',
    unrepresentable: 'any',
    reused: 'ref',
  }) as Record<string, unknown>
  return {
    ...generated,
    $id: 'https://github.com/oidc-guard/oidc-guard/schema/policy.schema.json',
    title: 'oidc-guard policy document',
    description: 'Roles, permission maps, actions, rules and route bindings. See docs/policy.md.',
  }
}
