/**
 * Two objects with one version number on one SoftHSM2 token (two processes rotated at once), in one process:
 * a second session on the token stands in for the other process and makes its object. The race rule keeps
 * the earlier object of a version (creation time, then key bytes); readers (the published versions, the JWK
 * Set, signing by version) must use that same object, so every signature verifies with a published key and a
 * rotation's reported kid stays published.
 */
import { verify } from 'node:crypto';
import { KeyManager } from '@phlow/keys-core';
import pkcs11js from 'pkcs11js';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePkcs11Config } from '../src/options.js';
import { openToken } from '../src/token.js';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const message = new TextEncoder().encode('signed while two processes rotate');
const verifies = (publicKey: string, signature: Uint8Array) => verify(null, message, publicKey, signature);

/**
 * A pair another process is still generating: under its pending id, as token.ts writes it first. Made here
 * with pkcs11js directly (the store never leaves one behind). `startedAt` in ms.
 */
function pendingPair(keyId: string, version: number, startedAt: number): void {
  const env = tokenEnv();
  const p = new pkcs11js.PKCS11();
  p.load(env.PHLOW_PKCS11_MODULE!);
  try {
    p.C_Initialize();
  } catch {
    // already initialised (and logged in) by the store in this process
  }
  const slot = p
    .C_GetSlotList(true)
    .find((s) => p.C_GetTokenInfo(s).label.trim() === env.PHLOW_PKCS11_TOKEN)!;
  const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  const id = Buffer.from(`phlow-pending:${version}:${startedAt}:${'0f'.repeat(8)}`, 'latin1');
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: keyId },
    { type: pkcs11js.CKA_ID, value: id },
  ];
  p.C_GenerateKeyPair(
    session,
    { mechanism: 0x1055 }, // CKM_EC_EDWARDS_KEY_PAIR_GEN
    [...common, { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06032b6570', 'hex') }],
    [...common, { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_SIGN, value: true }],
  );
  p.C_CloseSession(session);
}

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
    const rival = other.generate(keyId, 2, { stampedAt: new Date(ours!.createdAt.getTime() + 1) });
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
    const { keys, rotated, rival } = await rotatedThenRival(keyId);
    other.confirm(rival); // as an earlier release, whose check could miss a rival, left it
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

  it('a rival of the same version still being generated at our check: we step back (CONFLICT)', async () => {
    const keyId = uid('pending');
    await store.createKey(keyId);
    pendingPair(keyId, 2, Date.now());
    const stepped = await store
      .rotateKey(keyId, { expectedVersion: '1' })
      .catch((e: { code?: string }) => e.code);
    expect(stepped).toBe('CONFLICT');
    expect((await store.getPublicKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
    // A pair left pending by a process that died long ago holds nothing back, and retirement removes it.
    const stale = uid('stale');
    await store.createKey(stale);
    pendingPair(stale, 2, Date.now() - 3_600_000);
    await store.rotateKey(stale, { expectedVersion: '1' });
    expect((await store.getPublicKeyVersions(stale)).map((v) => v.version)).toEqual(['2', '1']);
    expect(other.unconfirmed(stale)).toHaveLength(1);
    await store.retireVersions(stale, { keepFrom: '2' });
    expect(other.unconfirmed(stale)).toHaveLength(0);
    // deleteKeyPair removes pending pairs too: the id can be made anew.
    await store.deleteKeyPair(keyId);
    expect(other.unconfirmed(keyId)).toHaveLength(0);
    await store.createKey(keyId);
    expect((await store.getPublicKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
    await store.deleteKeyPair(keyId);
    await store.deleteKeyPair(stale);
  });
});
