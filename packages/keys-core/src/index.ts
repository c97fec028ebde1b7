export {
  ALGORITHMS,
  algorithmOfJws,
  isKeyAlgorithm,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyAlgorithmSpec,
  type KeyPems,
  keyAlgorithm,
  newEd25519Pems,
  newKeyPems,
} from './algorithms.js';
export {
  auditCaller,
  auditFailure,
  auditKeyId,
  auditLine,
  type KeyAuditEvent,
  type KeyAuditLossEvent,
  type KeyAuditOperation,
  type KeyAuditOutcome,
  type KeyAuditSink,
  MAX_AUDIT_LINE_BYTES,
} from './audit.js';
export { type AuditEventFields, type AuditFields, auditEvent, recordAuditEvent } from './audit-events.js';
export {
  AUDIT_FLUSH_INTERVAL_MS,
  type AuditLoss,
  type AuditSinkStats,
  auditSinkFromEnv,
  auditTarget,
  createJsonLinesAuditSink,
  DEFAULT_AUDIT_REFUSED_PER_MINUTE,
  type JsonLinesAuditSink,
  type JsonLinesAuditSinkOptions,
} from './audit-sink.js';
export type { CacheStats } from './cache.js';
export { checkedStore } from './checked-store.js';
export * from './contract.js';
export {
  CONTROL_CHARACTERS,
  escapeControlCharacters,
  removeControlCharacters,
} from './control-characters.js';
export * from './errors.js';
export { type JwkSet, jwkThumbprint, type PublicJwk, publicKeyPemToJwk } from './jwk.js';
export { type BuildJwkSetOptions, buildJwkSet, JWKS_CONCURRENCY } from './jwk-set.js';
export { assertValidKeyId, isValidKeyId, KEY_ID_PATTERN } from './key-id.js';
export { KeyManager } from './key-manager.js';
export { KeyPair } from './key-pair.js';
export type {
  GenerateOptions,
  GetKeyPairOptions,
  JwksOptions,
  KeyAccessOptions,
  KeyManagerCacheOptions,
  KeyManagerEvent,
  KeyManagerOptions,
  KeyManagerStats,
  RotateOptions,
  RotationResult,
  RotationState,
  ScheduledRotationResult,
  SignDetailedOptions,
  SignResult,
} from './manager-options.js';
export { createMemoryKeyStore, type MemoryKeyStoreOptions } from './memory-store.js';
export { assertPublicKeyPem, checkKeyPair } from './pem.js';
export { PublicKeyPair } from './public-key-pair.js';
export { storedKeyPair } from './redact.js';
export {
  candidateModules,
  createKeyStoreFromEnv,
  isBuiltInStoreType,
  loadKeyStoreProvider,
  type ResolveOptions,
  registerKeyStore,
  resolveKeyStore,
  unregisterKeyStore,
} from './resolver.js';
export { type SignerRefusals, type SignerRefusalWording, signerRefusals } from './signer-refusals.js';
export type { UnverifiedReadOptions, UnverifiedReadStats } from './unverified-reads.js';
