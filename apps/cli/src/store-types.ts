/**
 * The store types the resolver knows by name (keys-core adapter-names.ts, plus its built-in `memory`), in the
 * order help and completion list them. Kept here so that help, completion and "did you mean" load no core;
 * test/store-types.test.ts checks each one against the resolver.
 */

/** The types worth offering (completion, help): `memory` is left out, it forgets everything at exit. */
export const STORE_TYPES = [
  'encrypted_file',
  'environment',
  'vault',
  'aws',
  'vault_transit',
  'pkcs11',
  'aws_kms',
] as const;

/** Every name the resolver maps without a package name: the types, their short aliases, and `memory`. */
export const BUILT_IN_STORE_NAMES: readonly string[] = [...STORE_TYPES, 'file', 'env', 'memory'];
