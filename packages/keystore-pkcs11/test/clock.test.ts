/**
 * Time from one clock on the PKCS#11 store (issue 19 item 5, the rule core's adapter kit gives every store:
 * versionTimes). A token has no clock of its own, so a new version is stamped by the rotating host; a host whose
 * clock is more than 5 minutes behind the version it replaces is refused (INVALID_CONFIG, the new pair
 * destroyed, nothing left on the token); by less, the new version is dated at the old one's time, never before
 * it, so the version it replaces is not retired at once. The host is a child process whose clock is frozen.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KeyManager } from '@phlow/keys-core';
import { CLOCK_TOLERANCE_MS } from '@phlow/keys-core/adapter';
import { rotateWithFrozenClock } from '@phlow/test-support/frozen-clock';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, uid } from './helpers.js';

const DELAY = 60_000;
const MIN = 60_000;

function rotateFrom(frozenMs: number, keyId: string) {
  return rotateWithFrozenClock({
    storeModule: pathToFileURL(join(import.meta.dirname, '../dist/index.js')).href,
    factory: 'createPkcs11KeyStore',
    keyId,
    delayMs: DELAY,
    frozenMs,
  });
}

describe('pkcs11: a rotation from a host whose clock is behind', () => {
  const store = createTestStore();
  const created: string[] = [];
  afterAll(async () => {
    for (const keyId of created) await store.deleteKeyPair(keyId).catch(() => {});
    await store.close();
  });

  async function firstVersion(label: string) {
    const keyId = uid(label);
    created.push(keyId);
    const keys = new KeyManager({ store, env: {} });
    await keys.createKey(keyId);
    const [v1] = await store.getPublicKeyVersions!(keyId);
    return { keyId, createdAt: v1!.createdAt!.getTime() };
  }

  it.each([
    ['25 h', 25 * 60 * MIN],
    ['20 min', 20 * MIN],
  ])('%s behind the newest version: refused, nothing left on the token', async (_label, behind) => {
    const { keyId, createdAt } = await firstVersion('behind');
    const out = await rotateFrom(createdAt - behind, keyId);
    expect(out).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(out.message).toMatch(/this host's clock .* behind the newest version of key/);
    expect((await store.getPublicKeyVersions!(keyId)).map((v) => v.version)).toEqual(['1']);
    // The pair generated before the refusal was destroyed: a later rotation from a good clock makes version 2.
    const keys = new KeyManager({ store, env: {} });
    await keys.rotateKeyPair(keyId);
    expect((await store.getPublicKeyVersions!(keyId)).map((v) => v.version)).toEqual(['2', '1']);
  });

  it('2 min behind: written, dated at the version it replaces, never before it', async () => {
    expect(2 * MIN).toBeLessThan(CLOCK_TOLERANCE_MS);
    const { keyId, createdAt } = await firstVersion('slightly');
    const out = await rotateFrom(createdAt - 2 * MIN, keyId);
    expect(out).toMatchObject({ ok: true });
    const [v2] = await store.getPublicKeyVersions!(keyId);
    expect(v2?.version).toBe('2');
    // Without the correction it would be dated createdAt - 2 min: before the key it replaces.
    expect(v2?.createdAt?.getTime()).toBe(createdAt);
  });
});
