/**
 * Reading Transit's key document (`GET <mount>/keys/<id>`) as public key versions: the one place that knows
 * its shape. Ed25519 public keys come as raw 32 bytes in base64 and are turned into SPKI PEMs, the form
 * every other store returns; versions below `min_available_version` (trimmed) or `min_decryption_version`
 * (retired) are not listed.
 */
import { createPublicKey } from 'node:crypto';
import { KeyStoreError, type PublicKeyVersion } from '@phlow/keys-core';

export interface TransitKey {
  readonly type: string;
  readonly exportable: boolean;
  readonly latestVersion: number;
  readonly versions: PublicKeyVersion[];
}

const fail = (keyId: string, what: string) =>
  new KeyStoreError(
    'INTEGRITY',
    `Vault Transit's key document for "${keyId}" is not what this store expects (${what}): check the key with vault read transit/keys/${keyId}`,
    { storeType: 'vault_transit', keyId },
  );

export function readTransitKey(keyId: string, body: unknown): TransitKey {
  const data = (body as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') throw fail(keyId, 'no data');
  const type = String(data.type);
  const latestVersion = Number(data.latest_version);
  const lowest = Math.max(Number(data.min_available_version) || 0, Number(data.min_decryption_version) || 0);
  const keys = data.keys as Record<string, unknown> | undefined;
  if (!Number.isInteger(latestVersion) || latestVersion < 1 || !keys) throw fail(keyId, 'no versions');
  const versions: PublicKeyVersion[] = [];
  if (type === 'ed25519') {
    for (const [name, entry] of Object.entries(keys)) {
      const n = Number(name);
      if (!Number.isInteger(n) || n < lowest || n > latestVersion) continue;
      const e = entry as { public_key?: unknown; creation_time?: unknown };
      const raw = typeof e.public_key === 'string' ? Buffer.from(e.public_key, 'base64') : undefined;
      const createdAt = new Date(String(e.creation_time));
      if (raw?.length !== 32 || Number.isNaN(createdAt.getTime())) throw fail(keyId, `version ${n}`);
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
        format: 'jwk',
      })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      versions.push({ publicKey, version: String(n), createdAt, current: n === latestVersion });
    }
    versions.sort((a, b) => Number(b.version) - Number(a.version));
    if (versions[0]?.current !== true) throw fail(keyId, 'the latest version has no public key');
  }
  return {
    type,
    exportable: data.exportable === true || data.allow_plaintext_backup === true,
    latestVersion,
    versions,
  };
}

/** Transit's signature `vault:v<n>:<base64>` as bytes. */
export function signatureBytes(keyId: string, body: unknown): Uint8Array {
  const text = (body as { data?: { signature?: unknown } } | null)?.data?.signature;
  const match = typeof text === 'string' ? /^vault:v\d+:([A-Za-z0-9+/=]+)$/.exec(text) : null;
  const bytes = match ? Buffer.from(match[1]!, 'base64') : undefined;
  if (bytes?.length !== 64) throw fail(keyId, 'the signature is not an Ed25519 signature');
  return new Uint8Array(bytes);
}
