// Turns zod issues into one message that corrects the user: every bad field by its path, the
// allowed values of an enumeration, "did you mean" for a misspelt key or value, and a union
// reported by the branch the value was meant for instead of zod's bare "Invalid input".
import type { z } from 'zod'
import { ConfigurationError } from '../errors/errors.js'
import { closest } from './suggest.js'

type Issue = z.core.$ZodIssue
type Path = readonly PropertyKey[]
interface Def {
  type: string
  shape?: Record<string, z.ZodType>
  options?: readonly z.ZodType[]
  innerType?: z.ZodType
  element?: z.ZodType
  valueType?: z.ZodType
  in?: z.ZodType
  getter?: () => z.ZodType
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def

// The schema itself once wrappers (optional, default, lazy, pipe…) are peeled off.
function unwrap(schema: z.ZodType): z.ZodType {
  for (;;) {
    const def = defOf(schema)
    const inner = def.innerType ?? def.in ?? def.getter?.()
    if (inner === undefined) return schema
    schema = inner
  }
}

// The schemas that may validate the value at `path` (a union fans out to its branches).
function schemasAt(schema: z.ZodType, path: Path): z.ZodType[] {
  const def = defOf(unwrap(schema))
  if (def.type === 'union') return (def.options ?? []).flatMap((option) => schemasAt(option, path))
  if (path.length === 0) return [unwrap(schema)]
  const [head, ...rest] = path
  const child =
    def.type === 'object'
      ? def.shape?.[String(head)]
      : def.type === 'array'
        ? def.element
        : def.type === 'record'
          ? def.valueType
          : undefined
  return child ? schemasAt(child, rest) : []
}

function keysAt(schema: z.ZodType | undefined, path: Path): string[] {
  if (schema === undefined) return []
  return schemasAt(schema, path).flatMap((at) => Object.keys(defOf(at).shape ?? {}))
}

const quote = (path: Path) => `"${path.length === 0 ? '(options)' : path.map(String).join('.')}"`
const printable = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 64 && /^[\x20-\x7e]*$/.test(value)
const hint = (guess: string | undefined) =>
  guess === undefined ? '' : `; did you mean "${guess}"?`
const isMissing = (issue: Issue) =>
  (issue.code === 'invalid_type' || issue.code === 'invalid_union') &&
  'input' in issue &&
  issue.input === undefined

// A root issue saying the value is of another type than this union branch takes.
const expectedOf = (issue: Issue): string | undefined =>
  issue.code === 'invalid_type'
    ? issue.expected
    : issue.code === 'custom'
      ? (issue.params?.['expected'] as string | undefined)
      : undefined
const wrongType = (issue: Issue) =>
  issue.path.length === 0 &&
  (expectedOf(issue) !== undefined ||
    (issue.code === 'invalid_value' &&
      'input' in issue &&
      !issue.values.some((value) => typeof value === typeof issue.input)))

// How far a union branch is from the value: a branch of the wrong type does not count, and an
// unknown key weighs more than a bad value (the value was probably meant for a branch knowing it).
function distance(issues: readonly Issue[]): number {
  if (issues.some(wrongType)) return Infinity
  let total = 0
  for (const issue of issues) {
    // A key this branch forbids (`z.never()`) says the value was meant for another branch.
    total +=
      issue.code === 'unrecognized_keys'
        ? 2 * issue.keys.length
        : expectedOf(issue) === 'never'
          ? 3
          : 1
  }
  return total
}

function describe(issues: readonly Issue[], schema: z.ZodType | undefined, base: Path): string[] {
  // A key reported unknown with a "did you mean" explains the missing key it meant: report once.
  const meant = new Set<string>()
  // An object with unknown keys: its own custom checks (e.g. "at least one") follow from them.
  const withUnknown = new Set<string>()
  const guesses = new Map<Issue, (string | undefined)[]>()
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue
    const known = keysAt(schema, issue.path)
    const guessed = issue.keys.map((key) => closest(key, known))
    guesses.set(issue, guessed)
    withUnknown.add(JSON.stringify(issue.path))
    for (const guess of guessed) if (guess) meant.add(JSON.stringify([...issue.path, guess]))
  }
  return issues.flatMap((issue): string[] => {
    const path = [...base, ...issue.path]
    const at = JSON.stringify(issue.path)
    if (isMissing(issue) || (issue.code === 'custom' && issue.message.startsWith('Required'))) {
      return meant.has(at)
        ? []
        : [`${quote(path)}: ${isMissing(issue) ? 'Required' : issue.message}`]
    }
    if (issue.code === 'custom' && withUnknown.has(at)) return []
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map(
          (key, index) =>
            `${quote([...path, key])}: unknown option${hint(guesses.get(issue)?.[index])}`,
        )
      case 'invalid_union': {
        const scores = issue.errors.map(distance)
        const best = Math.min(...scores)
        if (best === Infinity) {
          const expected = issue.errors.flatMap((errors) =>
            errors.flatMap((error) => expectedOf(error) ?? []),
          )
          return [`${quote(path)}: expected ${[...new Set(expected)].join(' or ')}`]
        }
        const index = scores.indexOf(best)
        const branches = schema ? schemasAt(schema, issue.path) : []
        if (scores.lastIndexOf(best) !== index) {
          // Several forms fit equally badly (e.g. `{ cookie }` for `{ param } | { header }`):
          // name the keys of every form rather than guess one.
          const unknown = issue.errors.flatMap((errors) =>
            errors.flatMap((error) =>
              error.code === 'unrecognized_keys' && error.path.length === 0 ? error.keys : [],
            ),
          )
          const forms = branches.flatMap((branch) => Object.keys(defOf(branch).shape ?? {}))
          if (unknown.length > 0 && forms.length > 0) {
            const key = unknown[0] as string
            const allowed = [...new Set(forms)].map((form) => `"${form}"`).join(', ')
            return [
              `${quote([...path, key])}: unknown option${hint(closest(key, forms))}; expected one of ${allowed}`,
            ]
          }
        }
        return describe(issue.errors[index] ?? [], branches[index], path)
      }
      case 'invalid_value': {
        const allowed = issue.values.map((value) => JSON.stringify(value)).join(', ')
        const input = 'input' in issue ? issue.input : undefined
        if (!printable(input)) return [`${quote(path)}: expected one of ${allowed}`]
        const strings = issue.values.filter((value): value is string => typeof value === 'string')
        return [
          `${quote(path)}: "${input}" is not one of ${allowed}${hint(closest(input, strings))}`,
        ]
      }
      default:
        return [`${quote(path)}: ${issue.message}`]
    }
  })
}

/**
 * Formats zod issues as one message naming every bad field. With the schema that produced
 * them, misspelt keys and enumeration values get a "did you mean".
 */
export function formatIssues(prefix: string, issues: readonly Issue[], schema?: z.ZodType): string {
  return `${prefix}\n  - ${describe(issues, schema, []).join('\n  - ')}`
}

/**
 * Validates `input` against `schema` and returns its output, or throws a `ConfigurationError`
 * whose message corrects every bad field (see {@link formatIssues}).
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: string,
): z.output<S> {
  // reportInput lets the message quote a misspelt enumeration value; only short printable
  // strings are ever quoted, and only for enumerations (never a secret or a function).
  const parsed = schema.safeParse(input, { reportInput: true })
  if (!parsed.success) {
    throw new ConfigurationError(formatIssues(prefix, parsed.error.issues, schema))
  }
  return parsed.data
}
