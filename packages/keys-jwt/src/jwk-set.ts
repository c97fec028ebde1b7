/**
 * `@phlow/keys-jwt/jwk-set`: the checks of serving and reading JWK Sets that do not need jose, for packages
 * that must not load it up front (keys-httpsig's verifier of local keys, its key directory): the ETag and
 * If-None-Match rule, strict JSON, and the one check of a JWK someone else serves. The main entry exports
 * the same functions.
 */
export { etagOf, matchesIfNoneMatch } from './http-cache.js';
export {
  MAX_REMOTE_RSA_BITS,
  MAX_REMOTE_RSA_EXPONENT,
  type RemoteKey,
  type RemoteKeySkipReason,
  remoteKeyOf,
} from './remote-jwk.js';
export { MAX_JSON_DEPTH, parseStrictJson } from './strict-json.js';
