/**
 * Time from one clock on the Vault KV store (issue 19 item 5), on the real Vault server. Vault dates versions
 * itself (created_time), so only the activation time comes from the rotating host's clock. A host whose clock
 * is behind the newest version's created_time by more than 5 minutes is refused (INVALID_CONFIG, nothing
 * written); by less, its activation time moves so that the new key keeps its whole delay after the version it
 * replaces. The host is a child process whose clock is frozen at a chosen instant (test/children).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KeyManager } from '@phlow/keys-core';
import { CLOCK_TOLERANCE_MS } from '@phlow/keys-core/adapter';
import { rotateWithFrozenClock } from '@phlow/test-support/frozen-clock';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, trackedIds } from './helpers/vault.js';

const DELAY = 60_000;
const MIN = 60_000;

function rotateFrom(frozenMs: number, keyId: string) {
  return rotateWithFrozenClock({
    storeModule: pathToFileURL(join(import.meta.dirname, '../dist/index.js')).href,
    factory: 'createVaultKeyStore',
    keyId,
    delayMs: DELAY,
    frozenMs,
  });
}

describe('vault: a rotation from a host whose clock is behind', () => {
  const store = createTestStore();
  const id = trackedIds(store);
  afterAll(() => store.close());

  async function firstVersion(label: string) {
    const keyId = id(label);
    const keys = new KeyManager({ store, env: {} });
    await keys.createKey(keyId);
    const [v1] = await store.getKeyVersions(keyId);
    return { keyId, createdAt: v1!.createdAt!.getTime() };
  }

  it.each([
    ['25 h', 25 * 60 * MIN],
    ['20 min', 20 * MIN],
  ])("%s behind Vault's newest version: refused, nothing written", async (_label, behind) => {
    const { keyId, createdAt } = await firstVersion('behind');
    const out = await rotateFrom(createdAt - behind, keyId);
    expect(out).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(out.message).toMatch(/^\[phlow\] \[vault\] this host's clock .* behind the newest version of key/);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(['1']);
  });

  it('2 min behind: written, and the new key activates a whole delay after the version it replaces', async () => {
    expect(2 * MIN).toBeLessThan(CLOCK_TOLERANCE_MS);
    const { keyId, createdAt } = await firstVersion('slightly');
    const out = await rotateFrom(createdAt - 2 * MIN, keyId);
    expect(out).toMatchObject({ ok: true });
    const [v2] = await store.getKeyVersions(keyId);
    expect(v2?.version).toBe('2');
    // Without the correction it would be createdAt - 2 min + DELAY: already past on every correct host.
    expect(v2?.activatesAt?.getTime()).toBe(createdAt + DELAY);
    expect(out.activatesAt).toBe(createdAt + DELAY);
  });
});
