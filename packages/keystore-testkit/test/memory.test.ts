import { createMemoryKeyStore } from '@phlow/keys-core';
import { runKeyStoreConformance } from '../src/index.js';

runKeyStoreConformance({ name: 'memory', create: () => createMemoryKeyStore() });
