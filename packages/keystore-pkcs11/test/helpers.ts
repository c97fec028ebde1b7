/**
 * The throw-away SoftHSM2 token tooling/services/softhsm/with-token.sh makes for a test run. Tests fail,
 * never skip, without it: `pnpm --filter @phlow/keystore-pkcs11 test` runs them through the script.
 */
import { createPkcs11KeyStore, type Pkcs11KeyStore, type Pkcs11KeyStoreOptions } from '../src/index.js';

export function tokenEnv(): Record<string, string> {
  const names = ['PHLOW_PKCS11_MODULE', 'PHLOW_PKCS11_TOKEN', 'PHLOW_PKCS11_PIN_FILE', 'SOFTHSM2_CONF'];
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: run these tests through tooling/services/softhsm/with-token.sh (pnpm --filter @phlow/keystore-pkcs11 test does)`,
      );
    }
    env[name] = value;
  }
  return env;
}

export function createTestStore(options: Pkcs11KeyStoreOptions = {}): Pkcs11KeyStore {
  return createPkcs11KeyStore({ ...options, env: { ...tokenEnv(), ...options.env } });
}

export const uid = (label: string) =>
  `p11-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
