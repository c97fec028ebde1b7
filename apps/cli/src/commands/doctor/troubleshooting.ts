/**
 * The Troubleshooting section of the key management guide, in its own words, so that `doctor` explains a
 * failure the way the documentation a user may already have read does. A store-specific line is added first,
 * because "verify the Vault token" helps nobody whose master key file is wrong.
 */
import type { KeyStoreErrorCode } from '@phlow/keys-core';

export interface Advice {
  /** The guide's heading: "Key Not Found", "Permission Denied", "Performance Issues", ... */
  readonly title: string;
  readonly steps: readonly string[];
}

const KEY_NOT_FOUND = [
  'Verify the key ID matches your agent ID',
  'Check key store connectivity',
  'Ensure proper permissions (IAM/Vault policies)',
];
const PERMISSION_DENIED = [
  'Verify Vault token or AWS credentials',
  'Check key store policies',
  'Ensure network connectivity',
];
export const PERFORMANCE: Advice = {
  title: 'Performance Issues',
  steps: [
    'Keys are cached after first retrieval',
    'Consider increasing cache TTL for stable keys (PHLOW_KEY_CACHE_TTL_SECONDS)',
    'Use local encrypted file store for edge deployments',
  ],
};

function storeHint(storeType: string, code: string): string | undefined {
  if (storeType === 'encrypted_file' && code === 'ACCESS_DENIED') {
    return 'Check that PHLOW_MASTER_KEY / PHLOW_MASTER_KEY_FILE (or .phlow/master.key) is the key the file was written with, and the owner and mode of the files';
  }
  if (storeType === 'vault' && code === 'UNAVAILABLE')
    return 'Check VAULT_ADDR / VAULT_URL and that Vault is unsealed';
  if (storeType === 'aws' && code === 'UNAVAILABLE') {
    return 'Check AWS_REGION and the endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER, VPC endpoint)';
  }
  return undefined;
}

/**
 * INTEGRITY on the encrypted file: the file itself is damaged, so no token, policy or network line applies.
 * The names are those the file store writes (packages/keystore-file README): `<file>.bak` only with the backup
 * option; `<file>.fernet.bak` from the move off the Python format; `rekey`'s `.old-<time>` copies are of the
 * master key, not of the key file.
 */
export const DAMAGED_KEY_FILE: Advice = {
  title: 'Key file damaged',
  steps: [
    'Restore the key file (PHLOW_KEY_STORE_FILE, default .phlow/keys.enc) from a backup: <file>.bak beside it, kept when PHLOW_KEY_STORE_BACKUP=true (the previous generation), or your own copy; the damaged file was not changed',
    '<file>.fernet.bak, if present, is the Python-era file as it was when it moved to format 1: older keys, under the master key of that time',
    'A <master key file>.old-<time> left by `phlow-keys rekey` is an old master key, not a copy of the key file: it opens a key file restored from before that rekey',
    'Without a backup the keys in it cannot be recovered: move the file aside, `phlow-keys generate` new keys and rotate your agents onto them',
  ],
};

/** The guide's advice for a failure with this error code, or undefined when the message says it all. */
export function adviceFor(code: string, storeType: string): Advice | undefined {
  if (storeType === 'encrypted_file' && code === 'INTEGRITY') return DAMAGED_KEY_FILE;
  const hint = storeHint(storeType, code);
  const withHint = (steps: readonly string[]) => (hint ? [hint, ...steps] : steps);
  switch (code as KeyStoreErrorCode) {
    case 'NOT_FOUND':
      return { title: 'Key Not Found', steps: withHint(KEY_NOT_FOUND) };
    case 'ACCESS_DENIED':
    case 'INTEGRITY':
      // A local file has no token, policy or network: only the store's own line applies.
      return {
        title: 'Permission Denied',
        steps: storeType === 'encrypted_file' && hint ? [hint] : withHint(PERMISSION_DENIED),
      };
    case 'UNAVAILABLE':
      return {
        title: 'Store unreachable',
        steps: withHint(['Check key store connectivity', 'Ensure network connectivity']),
      };
    default:
      return hint ? { title: 'Fix', steps: [hint] } : undefined;
  }
}

/** doctor's note when the file store's master key is a passphrase. */
export const KDF_COST: Advice = {
  title: 'Passphrase master key: every call pays the key derivation',
  steps: [
    'A passphrase is stretched with scrypt each time a process opens the store, so every phlow-keys call (and every service start) spends that time before it reads a key',
    'A raw key skips it: `phlow-keys rekey` moves the store to a new random raw key in .phlow/master.key (the file `phlow-keys init` writes)',
    'Or set PHLOW_MASTER_KEY / PHLOW_MASTER_KEY_FILE to a base64: key from generateMasterKey()',
  ],
};
