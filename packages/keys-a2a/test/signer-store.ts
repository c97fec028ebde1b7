// A signer-store stand-in for unit tests of our own logic: the versions of a memory store, published
// public-only, signing "in the backend" with the version asked for (as Vault Transit, PKCS#11 and KMS do).
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import type { KeyStore } from '@phlow/keys-core';

export function publicOnly(store: KeyStore): KeyStore & { signs: number } {
  const versions = store.getKeyVersions!.bind(store);
  const wrapped = {
    ...store,
    signs: 0,
    type: 'memory_signer',
    capabilities: { ...store.capabilities, signer: true },
    sign: async (id: string, data: Uint8Array, options?: { version?: string }) => {
      wrapped.signs++;
      const all = await versions(id);
      const version = all.find((v) => v.version === options?.version) ?? all[0]!;
      const key = createPrivateKey(version.privateKey);
      const digest = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
      return new Uint8Array(cryptoSign(digest, data, { key, dsaEncoding: 'ieee-p1363' }));
    },
    createKey: async () => {},
    rotateKey: async () => {},
    retireVersions: async () => {},
    getPublicKeyVersions: async (id: string) =>
      (await versions(id)).map(({ publicKey, version, createdAt, current, activatesAt }) => ({
        publicKey,
        version,
        createdAt,
        current,
        ...(activatesAt ? { activatesAt } : {}),
      })),
  };
  return wrapped as unknown as KeyStore & { signs: number };
}
