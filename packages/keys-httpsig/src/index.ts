export { type HttpSigAlgorithm, httpSigAlgorithm } from './alg-names.js';
export { checkContentDigest, contentDigest } from './content-digest.js';
export {
  createDirectoryHandler,
  type DirectoryHandlerOptions,
  type DirectoryJwk,
  type DirectoryKeys,
  directoryDocument,
  NBF_SKEW_SECONDS,
} from './directory.js';
export { checkDirectorySignature, DIRECTORY_SIGNATURE_TAG } from './directory-signature.js';
export { HttpSigError, type HttpSigErrorCode, isHttpSigError } from './errors.js';
export {
  DIRECTORY_MEDIA_TYPE,
  DIRECTORY_PATH,
  type DirectoryFetchOptions,
  type DirectoryKey,
  type DirectoryKeySet,
  type DirectoryKeySetFactory,
  type DirectoryPolicy,
  type LocalKeys,
} from './key-source.js';
export { type HeaderRecord, type HttpMessage, messageOf, messageOfRequest } from './message.js';
export { requestOfIncoming, toNodeListener, writeResponse } from './node.js';
export {
  createMemoryNonceStore,
  type MemoryNonceStoreOptions,
  type NonceContext,
  type NonceStore,
} from './nonce-store.js';
export {
  DEFAULT_EXPIRES_IN_SECONDS,
  MAX_EXPIRES_IN_SECONDS,
  type NodeRequestOptions,
  type SignatureHeaders,
  type SignedDetails,
  type SigningKeys,
  type SignRequestMoreOptions,
  type SignRequestOptions,
  signMessage,
  signNodeRequest,
  signRequest,
  WEB_BOT_AUTH_TAG,
} from './sign.js';
export { signatureBase } from './signature-base.js';
export {
  createRequestVerifier,
  DEFAULT_SKEW_SECONDS,
  MAX_NONCE_LENGTH,
  MAX_SIGNATURE_HEADER_BYTES,
  type RequestVerifier,
  type VerifiedRequest,
  type VerifyRequestOptions,
  verifyRequest,
} from './verify.js';
