// The tests use the same embedded OpenID provider as the demo: the testing kit's.
export * from '../../src/testing/oidc-provider.js'
