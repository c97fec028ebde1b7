export { createMemoryKeyStore } from '@phlow/keys-core';
export {
  activationTests,
  concurrencyTests,
  errorTests,
  expectNoPrivateKeyPrinted,
  keyIdTests,
  readTests,
  rotationTests,
  runKeyStoreConformance,
  versionTests,
  writeTests,
} from './conformance.js';
export type {
  ConformanceContext,
  ConformanceGroup,
  ConformanceOptions,
  NodeDebugOptions,
  NodeDebugRun,
  TransportOptions,
} from './context.js';
export { type FaultController, type FaultyKeyStore, withFaults } from './fault-injection.js';
export { ed25519Pair, es256Pair, type PemPair, rsa4096Pair, uniqueKeyId } from './fixtures.js';
export { createMemorySignerStore, type MemorySignerStoreOptions } from './memory-signer-store.js';
export { signerTests, verifiesWith } from './signer-conformance.js';
export { transportTests } from './transport-conformance.js';
