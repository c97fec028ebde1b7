/**
 * Store type names (`PHLOW_KEY_STORE_TYPE`) to adapter package names, in the manner of Babel's
 * standardizeName: a short name gets the prefix, a name that already has it is used as is, so no name is
 * ever prefixed twice.
 *
 *   environment|env, encrypted_file|file, vault, aws   -> @phlow/keystore-<env|file|vault|aws>
 *   vault_transit                                      -> @phlow/keystore-vault/transit (a subpath)
 *   pkcs11, aws_kms                                    -> @phlow/keystore-pkcs11, @phlow/keystore-aws-kms
 *   redis                                              -> @phlow/keystore-redis, then phlow-keystore-redis
 *   phlow-keystore-redis, @phlow/keystore-redis        -> as given
 *   @phlow/redis                                       -> @phlow/keystore-redis
 *   @acme/x                                            -> @acme/phlow-keystore-x
 *   @acme/phlow-keystore-x                             -> as given
 *   @acme                                              -> @acme/phlow-keystore
 *   module:pkg                                         -> pkg, as given
 *   ./x, ../x, /x, file:...                            -> that path, as given
 */
import { isAbsolute } from 'node:path';

/** Built-in names and their aliases, each to the suffix of its `@phlow/keystore-*` package. */
export const BUILT_IN: Readonly<Record<string, string>> = {
  environment: 'env',
  env: 'env',
  encrypted_file: 'file',
  file: 'file',
  vault: 'vault',
  aws: 'aws',
  // Vault's Transit engine shares the KV store's transport, so it is a subpath of that package.
  vault_transit: 'vault/transit',
  pkcs11: 'pkcs11',
  aws_kms: 'aws-kms',
};

/**
 * True for the built-in names (and their aliases): the resolver loads these only from the application or an
 * installation, never from the working directory (see resolver.ts).
 */
export function isBuiltInStoreType(type: string): boolean {
  return typeof type === 'string' && Object.hasOwn(BUILT_IN, type);
}

/** The canonical type of each built-in alias: what its provider's `type` says. */
const CANONICAL: Readonly<Record<string, string>> = { env: 'environment', file: 'encrypted_file' };

/** `env` -> `environment`, `file` -> `encrypted_file`; every other name unchanged. */
export function canonicalType(type: string): string {
  return CANONICAL[type] ?? type;
}

const PREFIX = 'phlow-keystore-';
const PHLOW_SCOPE_PREFIX = '@phlow/keystore-';

/** True when `type` is a path (or file: URL) rather than a package name. */
export function isPathType(type: string): boolean {
  return type.startsWith('file:') || type.startsWith('.') || isAbsolute(type);
}

/** The package names (or path) tried for a store type, in order. */
export function candidateModules(type: string): string[] {
  const builtIn = BUILT_IN[type];
  if (builtIn) return [`${PHLOW_SCOPE_PREFIX}${builtIn}`];
  if (type.startsWith('module:')) return [type.slice('module:'.length)];
  if (isPathType(type)) return [type];
  const scoped = /^(@[^/]+)(?:\/(.+))?$/.exec(type);
  if (scoped) {
    const [, scope, name] = scoped as unknown as [string, string, string | undefined];
    if (name === undefined) return [`${scope}/${PREFIX.slice(0, -1)}`];
    if (scope === '@phlow') return [name.startsWith('keystore-') ? type : `${PHLOW_SCOPE_PREFIX}${name}`];
    return [name.startsWith(PREFIX) ? type : `${scope}/${PREFIX}${name}`];
  }
  if (type.startsWith(PREFIX)) return [type];
  return [`${PHLOW_SCOPE_PREFIX}${type}`, `${PREFIX}${type}`];
}

/** What a store type may look like: a package name (optionally scoped, `module:` prefixed) or a path. */
export const NAME_PATTERN =
  /^(?:(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*|@[a-z0-9][a-z0-9._~-]*|module:.+|file:.+|\.{1,2}\/.+|\/.+)$/;
