// One definition per option: the zod schema is checked against the public interfaces, and the
// resolved types are derived from both. A field added to one side only fails here.
import { describe, expectTypeOf, it } from 'vitest'
import type { z } from 'zod'
import type {
  AuthenticateOptions,
  CommonOptions,
  IssuerOptions,
  ResolvedAuthenticateOptions,
  ResolvedIssuerOptions,
  VerificationOptions,
} from 'oidc-guard'
import type {
  commonSchema,
  issuerSchema,
  optionsSchema,
  verificationSchema,
} from '../../src/config/schema.js'
import type { DEFAULTS } from '../../src/config/defaults.js'

type CommonOnly = Omit<CommonOptions, keyof VerificationOptions>

describe('option types', () => {
  it('z.input of each schema part equals its public interface', () => {
    expectTypeOf<z.input<typeof verificationSchema>>().toEqualTypeOf<VerificationOptions>()
    expectTypeOf<z.input<typeof issuerSchema>>().toEqualTypeOf<IssuerOptions>()
    expectTypeOf<z.input<typeof commonSchema>>().toEqualTypeOf<CommonOnly>()
  })

  it('every AuthenticateOptions is an input of the whole schema, with the same keys', () => {
    const asInput = (options: AuthenticateOptions): z.input<typeof optionsSchema> => options
    expectTypeOf(asInput).returns.toEqualTypeOf<z.input<typeof optionsSchema>>()
    type Keys<T> = T extends unknown ? keyof T : never
    expectTypeOf<keyof z.input<typeof optionsSchema>>().toEqualTypeOf<Keys<AuthenticateOptions>>()
  })

  it('the resolved types have every option, defaults applied (no undefined where defaulted)', () => {
    expectTypeOf<keyof ResolvedAuthenticateOptions>().toEqualTypeOf<keyof CommonOnly | 'issuers'>()
    expectTypeOf<keyof ResolvedIssuerOptions>().toEqualTypeOf<keyof IssuerOptions | 'isTemplate'>()
    expectTypeOf<ResolvedAuthenticateOptions['realm']>().toEqualTypeOf<string>()
    expectTypeOf<ResolvedAuthenticateOptions['tokenLocations']>().toEqualTypeOf<
      readonly ('header' | 'query' | 'body')[]
    >()
    expectTypeOf<ResolvedAuthenticateOptions['fetch']>().toEqualTypeOf<typeof fetch | undefined>()
    expectTypeOf<ResolvedIssuerOptions['clockTolerance']>().toEqualTypeOf<number>()
    expectTypeOf<ResolvedIssuerOptions['profile']>().toEqualTypeOf<'default' | 'strict'>()
    expectTypeOf<ResolvedIssuerOptions['maxTokenAge']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<ResolvedIssuerOptions['issuer']>().toEqualTypeOf<string>()
    expectTypeOf<ResolvedIssuerOptions['audience']>().toEqualTypeOf<readonly string[]>()
  })

  it('DEFAULTS names only real options', () => {
    expectTypeOf<keyof typeof DEFAULTS>().toExtend<keyof CommonOptions>()
  })
})
