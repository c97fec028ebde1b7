/**
 * The options of the Vault Transit signer store: the connection settings of the KV store (address, token,
 * AppRole, namespace, TLS, timeouts; resolved by options.ts, one set of rules for both engines) plus the
 * Transit mount.
 */
import { KeyStoreError } from '@phlow/keys-core';
import { resolveVaultConfig, type VaultConfig, type VaultKeyStoreOptions } from './options.js';

export interface TransitKeyStoreOptions extends Omit<VaultKeyStoreOptions, 'mount' | 'prefix'> {
  /** Mount path of the Transit secrets engine. Default: `transit`. Env: `PHLOW_VAULT_TRANSIT_MOUNT`. */
  readonly mount?: string;
}

export interface TransitConfig {
  readonly vault: VaultConfig;
  readonly mount: string;
}

const PLAIN_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function resolveTransitConfig(options: TransitKeyStoreOptions = {}): TransitConfig {
  const env = options.env ?? process.env;
  const given = options.mount || env.PHLOW_VAULT_TRANSIT_MOUNT || 'transit';
  const mount = given.replace(/^\/+|\/+$/g, '');
  if (!PLAIN_PATH.test(mount) || mount.split('/').includes('..')) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `Transit mount ${JSON.stringify(mount.slice(0, 100))} is not a plain path: set PHLOW_VAULT_TRANSIT_MOUNT to e.g. "transit"`,
      { storeType: 'vault_transit' },
    );
  }
  // The KV settings' own mount and prefix do not apply; the connection settings are the KV store's.
  return { vault: resolveVaultConfig({ ...options, mount: 'phlow', prefix: 'keys/' }), mount };
}
