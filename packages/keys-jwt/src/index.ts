export {
  type AddressKind,
  addressKind,
} from './address-policy.js';
export type { ResolvedAddress, ResolveHost } from './bounded-fetch.js';
export { isJwtError, JwtError, type JwtErrorCode } from './errors.js';
export { etagOf, matchesIfNoneMatch } from './http-cache.js';
export { createJwksHandler, type JwksHandler, type JwksHandlerOptions } from './jwks-handler.js';
export { type JwksKeys, type JwtKeys, publicKeyObject, type SigningAlg } from './keys.js';
export { createJwksNodeHandler, type NodeJwksHandler, toNodeHandler } from './node-handler.js';
export { isRemoteKeySetError, RemoteKeySetError, type RemoteKeySetErrorCode } from './remote-errors.js';
export {
  MAX_REMOTE_RSA_BITS,
  MAX_REMOTE_RSA_EXPONENT,
  type RemoteKeySkipReason,
  remoteKeyOf,
} from './remote-jwk.js';
export {
  createRemoteKeySet,
  DEFAULT_JWK_SET_MEDIA_TYPES,
  MAX_NEGATIVE_TTL_MS,
  type RemoteKey,
  type RemoteKeySet,
  type RemoteKeySetEvent,
  type RemoteKeySetOptions,
} from './remote-key-set.js';
export {
  DEFAULT_MAX_TOKEN_LENGTH,
  MAX_EXPIRES_IN_SECONDS,
  parseExpiresIn,
  type SignJwtOptions,
  signJwt,
} from './sign.js';
export { MAX_JSON_DEPTH, parseStrictJson } from './strict-json.js';
export {
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierKeys,
  type JwtVerifierOptions,
  type JwtVerifierStats,
  type VerifiedTokenCacheOptions,
} from './verified-token-cache.js';
export { type VerifiedJwt, type VerifyJwtOptions, verifyJwt } from './verify.js';
