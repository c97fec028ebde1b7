export * from './contract.js';
export * from './errors.js';
export * from './key-id.js';
export * from './memory-store.js';
