// The tests use the same embedded OpenID provider as the demo.
export * from '../../examples/embedded-idp.js'
