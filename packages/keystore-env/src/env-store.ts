/**
 * The environment-variable key store: `PHLOW_PRIVATE_KEY_<id>` / `PHLOW_PUBLIC_KEY_<id>`, as the Python
 * Phlow read them. For development only: it is read-only, warns once per process, and refuses to start with
 * NODE_ENV=production unless `PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION=true` says the risk is accepted.
 *
 * Each id is looked up exactly as given first (the Python original's form), then in upper snake case
 * (`my-agent` -> `PHLOW_PRIVATE_KEY_MY_AGENT`), because shells cannot export a name containing `-` or `.`.
 * The variables are read on every call, so a process that changes its environment is seen at once.
 *
 * Nothing checks what a variable holds before it is exported, so every read checks it as
 * `KeyManager.storeKeyPair` checks a write: the public variable holds a public key (never a private one, which
 * would then be printed as "the public key"), and when both are set they are one pair. The pair check costs
 * about a millisecond of OpenSSL parsing, so its result is kept per id for the exact values checked.
 */
import {
  assertPublicKeyPem,
  assertValidKeyId,
  checkKeyPair,
  type Env,
  isKeyStoreError,
  isValidKeyId,
  type KeyStore,
  KeyStoreError,
  type KeyStoreFactoryOptions,
  type StoredKeyPair,
  storedKeyPair,
} from '@phlow/keys-core';
import { decodePem } from './decode.js';

export const PRIVATE_PREFIX = 'PHLOW_PRIVATE_KEY_';
export const PUBLIC_PREFIX = 'PHLOW_PUBLIC_KEY_';
const TYPE = 'environment';

export interface EnvKeyStoreOptions extends KeyStoreFactoryOptions {
  /**
   * Allow this store when NODE_ENV=production. Default: false.
   * Env: `PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION=true`.
   */
  readonly allowInProduction?: boolean;
  /** Where the once-per-process development warning goes. Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

let warned = false;

/** The upper-snake variable suffix for an id: `my-agent.v2` -> `MY_AGENT_V2`. */
export function upperSnake(keyId: string): string {
  return keyId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function createEnvKeyStore(options: EnvKeyStoreOptions = {}): KeyStore {
  const env: Env = options.env ?? process.env;
  const allowInProduction = options.allowInProduction ?? env.PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION === 'true';
  if (env.NODE_ENV === 'production' && !allowInProduction) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      'refusing to read private keys from environment variables with NODE_ENV=production: use PHLOW_KEY_STORE_TYPE=vault, aws or encrypted_file (or set PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION=true to accept the risk)',
      { storeType: TYPE },
    );
  }
  if (!warned) {
    warned = true;
    const warn =
      options.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'PHLOW_ENV_KEY_STORE' }));
    warn(
      '[phlow] [environment] keys are read from environment variables: fine for development, not for production (use vault, aws or encrypted_file)',
    );
  }

  const read = (
    prefix: string,
    keyId: string,
    kind: 'PRIVATE KEY' | 'PUBLIC KEY',
  ): { name: string; pem: string } | null => {
    assertValidKeyId(keyId, TYPE);
    for (const name of [prefix + keyId, prefix + upperSnake(keyId)]) {
      const raw = env[name];
      if (raw === undefined || raw.trim() === '') continue;
      const pem = decodePem(raw, kind);
      if (pem === null) {
        throw new KeyStoreError(
          'INVALID_KEY',
          `${name} is set but holds neither a PEM (with newlines or \\n escapes) nor base64 of one: export the key again`,
          { storeType: TYPE, keyId },
        );
      }
      if (kind === 'PUBLIC KEY') {
        assertPublicKeyPem(pem, keyId, {
          storeType: TYPE,
          hint: `export the public half ("-----BEGIN PUBLIC KEY-----") in ${name} and the private half in ${PRIVATE_PREFIX}${keyId}`,
        });
      }
      return { name, pem };
    }
    return null;
  };

  // The last pair of values that passed the check, per id: reads of unchanged variables skip OpenSSL.
  const checked = new Map<string, { privateKey: string; publicKey: string }>();
  const readPair = (keyId: string) => {
    const priv = read(PRIVATE_PREFIX, keyId, 'PRIVATE KEY');
    const pub = read(PUBLIC_PREFIX, keyId, 'PUBLIC KEY');
    if (priv && pub) {
      const last = checked.get(keyId);
      if (last?.privateKey !== priv.pem || last.publicKey !== pub.pem) {
        try {
          checkKeyPair(priv.pem, pub.pem, keyId);
        } catch (error) {
          if (!isKeyStoreError(error)) throw error;
          throw new KeyStoreError(
            'INVALID_KEY',
            `${priv.name} and ${pub.name} are not one key pair (${error.message.replace(/^\[phlow\] /, '')}): export both halves of the same pair`,
            { storeType: TYPE, keyId },
          );
        }
        checked.set(keyId, { privateKey: priv.pem, publicKey: pub.pem });
      }
    }
    return { priv, pub };
  };

  const readOnly = (what: string) =>
    new KeyStoreError(
      'UNSUPPORTED',
      `the environment store is read-only and cannot ${what}: use a writable store (PHLOW_KEY_STORE_TYPE=encrypted_file, vault or aws), for example with \`phlow-keys migrate --from environment --to encrypted_file\``,
      { storeType: TYPE },
    );

  return {
    type: TYPE,
    capabilities: { write: false, readPair: true, list: true, versions: false },
    async getPrivateKey(keyId) {
      return readPair(keyId).priv?.pem ?? null;
    },
    async getPublicKey(keyId) {
      return readPair(keyId).pub?.pem ?? null;
    },
    async getKeyPair(keyId): Promise<StoredKeyPair | null> {
      const { priv, pub } = readPair(keyId);
      const privateKey = priv?.pem ?? null;
      const publicKey = pub?.pem ?? null;
      if (privateKey === null && publicKey === null) return null;
      if (privateKey === null || publicKey === null) {
        throw new KeyStoreError(
          'INVALID_KEY',
          `only ${privateKey === null ? PUBLIC_PREFIX : PRIVATE_PREFIX}${keyId} is set: export both ${PRIVATE_PREFIX}${keyId} and ${PUBLIC_PREFIX}${keyId}`,
          { storeType: TYPE, keyId },
        );
      }
      return storedKeyPair({ privateKey, publicKey });
    },
    /** Ids of every `PHLOW_PRIVATE_KEY_*` variable, as spelled in the variable name. */
    async listKeyIds() {
      return Object.keys(env)
        .filter((name) => name.startsWith(PRIVATE_PREFIX) && env[name]?.trim())
        .map((name) => name.slice(PRIVATE_PREFIX.length))
        .filter((id) => isValidKeyId(id))
        .sort();
    },
    async storeKeyPair(keyId) {
      assertValidKeyId(keyId, TYPE);
      throw readOnly('store keys');
    },
    async deleteKeyPair(keyId) {
      assertValidKeyId(keyId, TYPE);
      throw readOnly('delete keys');
    },
  };
}
