/**
 * Two objects with one version number on one SoftHSM2 token (two processes rotated at once), in one process:
 * a second session on the token stands in for the other process and makes its object. The race rule keeps
 * the earlier object of a version (creation time, then key bytes); readers (the published versions, the JWK
 * Set, signing by version) must use that same object, so every signature verifies with a published key and a
 * rotation's reported kid stays published.
 */
import { verify } from 'node:crypto';
import { KeyManager } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePkcs11Config } from '../src/options.js';
import { openToken } from '../src/token.js';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const message = new TextEncoder().encode('signed while two processes rotate');
const verifies = (publicKey: string, signature: Uint8Array) => verify(null, message, publicKey, signature);

describe('pkcs11: one object owns a version number, for the race rule and for every reader', () => {
  const store = createTestStore();
  const other = openToken(resolvePkcs11Config({ env: tokenEnv() }));
  afterAll(async () => {
    other.close();
    await store.close();
  });
  const manager = () =>
    new KeyManager({ store, rotationDelayMs: 0, rotationGracePeriodMs: 3_600_000, cache: { ttlMs: 0 } });

  /** Our rotation to version 2 (checked and kept), then the other process's version 2, stamped just after. */
  async function rotatedThenRival(keyId: string) {
    const keys = manager();
    await keys.createKey(keyId);
    const rotated = await keys.rotateKeyPair(keyId);
    const ours = other.keys(keyId).find((k) => k.version === 2);
    expect(ours, 'our version 2 is on the token').toBeDefined();
    const rival = other.generate(keyId, 2, new Date(ours!.createdAt.getTime() + 1));
    return { keys, rotated, rival };
  }

  it('a rival made just after ours, not yet checked by its process: readers keep ours, signatures verify with it', async () => {
    const keyId = uid('later');
    const { keys, rotated, rival } = await rotatedThenRival(keyId);

    const published = await store.getPublicKeyVersions(keyId);
    expect(published.map((v) => v.version)).toEqual(['2', '1']);
    expect(published[0]!.publicKey, 'the published version 2 is the one the race rule keeps').toBe(
      rotated.keyPair.publicKey,
    );
    expect(await store.getPublicKey(keyId)).toBe(rotated.keyPair.publicKey);
    expect((await keys.jwks([keyId])).keys.map((k) => k.kid)).toContain(rotated.kid);

    const signatures = [
      await keys.sign(keyId, message),
      await store.sign(keyId, message, { version: '2' }),
      await store.sign(keyId, message),
    ];
    // The rival's process checks, finds the earlier object and destroys its own (the race rule).
    other.destroy([rival]);
    const after = await keys.sign(keyId, message);
    for (const signature of [...signatures, after]) {
      expect(verifies(rotated.keyPair.publicKey, signature), 'signed with the published version 2').toBe(
        true,
      );
    }
    expect((await keys.jwks([keyId])).keys.map((k) => k.kid)).toContain(rotated.kid);
    await store.deleteKeyPair(keyId);
  });

  it('a rival both processes kept (the check missed it): readers keep the earlier; retiring removes the rival', async () => {
    const keyId = uid('kept');
    const { keys, rotated } = await rotatedThenRival(keyId);
    const next = await keys.rotateKeyPair(keyId);
    expect(next.keyPair.version).toBe('3');
    await store.retireVersions(keyId, { keepFrom: '2' });
    expect(other.keys(keyId).map((k) => k.version)).toEqual(expect.arrayContaining([2, 3]));
    expect(other.keys(keyId)).toHaveLength(2);
    const [, second] = await store.getPublicKeyVersions(keyId);
    expect(second?.publicKey).toBe(rotated.keyPair.publicKey);
    expect(verifies(rotated.keyPair.publicKey, await store.sign(keyId, message, { version: '2' }))).toBe(
      true,
    );
    await store.deleteKeyPair(keyId);
  });
});
