/**
 * The on-AWS layout shared with the Python Phlow: secret `<prefix><id>` (prefix `phlow/` by default) whose
 * SecretString is the JSON object `{"private_key": "<PEM>", "public_key": "<PEM>"}`. phlow-keys adds
 * `"activates_at"` (ISO 8601, ms precision: when the version starts signing, fixed by the rotating process)
 * when it is given one; the Python Phlow ignores the extra field, and a secret without it (or with an
 * unparseable one) reads without an activation time.
 *
 * Decoding never echoes the secret: a JSON.parse message quotes the text it choked on, so it is neither
 * shown nor kept as a cause.
 */
import { KeyStoreError } from '@phlow/keys-core';
import { parseStoredTime } from '@phlow/keys-core/adapter';
import { STORE_TYPE } from './errors.js';

export function encodeKeyPair(privateKey: string, publicKey: string, activatesAt?: Date): string {
  if (activatesAt !== undefined && (!(activatesAt instanceof Date) || Number.isNaN(activatesAt.getTime()))) {
    throw new KeyStoreError('INVALID_CONFIG', 'activatesAt must be a valid Date', { storeType: STORE_TYPE });
  }
  return JSON.stringify({
    private_key: privateKey,
    public_key: publicKey,
    ...(activatesAt === undefined ? {} : { activates_at: activatesAt.toISOString() }),
  });
}

export function decodeKeyPair(
  secretString: string | undefined,
  secretName: string,
  keyId: string,
): { privateKey: string; publicKey: string; activatesAt?: Date } {
  const broken = (what: string) =>
    new KeyStoreError(
      'INVALID_KEY',
      `secret "${secretName}" ${what}; expected a SecretString holding JSON {"private_key": "<PEM>", "public_key": "<PEM>"}. Store the key pair again or fix the secret`,
      { storeType: STORE_TYPE, keyId },
    );
  if (typeof secretString !== 'string')
    throw broken('has no SecretString (binary secrets are not key pairs)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw broken('is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw broken('is not a JSON object');
  const {
    private_key: privateKey,
    public_key: publicKey,
    activates_at: activatesAt,
  } = parsed as Record<string, unknown>;
  if (typeof privateKey !== 'string' || privateKey === '') throw broken('has no "private_key" string');
  if (typeof publicKey !== 'string' || publicKey === '') throw broken('has no "public_key" string');
  const at = parseStoredTime(activatesAt);
  return at ? { privateKey, publicKey, activatesAt: at } : { privateKey, publicKey };
}

/** Checks a PEM argument before it is sent anywhere; says which one is wrong, never what it holds. */
export function assertPem(
  value: unknown,
  which: 'private' | 'public',
  keyId: string,
): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KeyStoreError('INVALID_KEY', `the ${which} key of "${keyId}" must be a non-empty PEM string`, {
      storeType: STORE_TYPE,
      keyId,
    });
  }
}
