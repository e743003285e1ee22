// The loopback JWKS/discovery server of the testing kit, under the name the tests import.
export {
  startJwksServer,
  type JwksBehaviour,
  type JwksServer,
  type JwksServerOptions,
} from '../../src/testing/jwks-server.js'
