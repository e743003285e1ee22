import type { CompiledPolicy, PolicyDecision } from './compile.js'
import { Undetermined, type RecordedInputs } from './env.js'

/** The fields of a recorded decision event that replay reads. */
export interface RecordedDecision {
  readonly type?: string
  readonly allowed: boolean
  readonly method?: string
  readonly path?: string
  readonly policyVersion?: string | number
  readonly action?: string
  readonly rule?: string
  readonly route?: string
  readonly inputs?: RecordedInputs
  readonly redacted?: readonly string[]
}

/** What a recorded decision becomes under another version. */
export type ReplayResult =
  | { readonly status: 'skipped' }
  | {
      readonly status: 'undetermined'
      readonly action: string | undefined
      readonly missing: string
    }
  | {
      readonly status: 'same' | 'changed'
      readonly action: string | undefined
      readonly after: PolicyDecision
    }

/**
 * Re-decides a recorded policy decision under `compiled`, from its recorded inputs only. A
 * decision made through a route binding is routed again (the new version may bind the path to
 * another action). When the new rules need an input that was not recorded (or was redacted),
 * the result is `undetermined`: replay never guesses.
 */
export function replayDecision(compiled: CompiledPolicy, record: RecordedDecision): ReplayResult {
  if (record.policyVersion === undefined || record.type === 'authenticate') {
    return { status: 'skipped' }
  }
  let action = record.action
  let after: PolicyDecision
  try {
    if (record.route !== undefined || (record.action === undefined && record.path !== undefined)) {
      const match = compiled.route(record.method ?? 'GET', record.path ?? '')
      if (!match) {
        after = compiled.unbound
        return compare(record, undefined, after)
      }
      action = match.binding.action
    }
    if (action === undefined) return { status: 'skipped' }
    const inputs = { ...record.inputs }
    for (const key of record.redacted ?? []) delete inputs[key]
    after = compiled.decideRecorded(action, inputs)
  } catch (error) {
    if (error instanceof Undetermined)
      return { status: 'undetermined', action, missing: error.input }
    throw error
  }
  return compare(record, action, after)
}

function compare(
  record: RecordedDecision,
  action: string | undefined,
  after: PolicyDecision,
): ReplayResult {
  return { status: after.allowed === record.allowed ? 'same' : 'changed', action, after }
}
