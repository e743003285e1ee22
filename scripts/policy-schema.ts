/**
 * Writes schema/policy.schema.json from the zod schema of policy documents.
 *
 *   npm run policy:schema
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { policyJsonSchema } from '../src/policy/json-schema.js'

const target = fileURLToPath(new URL('../schema/policy.schema.json', import.meta.url))
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`)
console.log(`wrote ${target}`)
