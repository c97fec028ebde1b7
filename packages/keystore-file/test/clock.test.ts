/**
 * Time from one clock (issue 19 item 5). Two hosts share a key file; one host's clock is behind. Both
 * KeyManager and the store take an injected clock (`now`), so every time below is exact: no test waits.
 *
 * Before: 25 h behind, the rotation wrote a version dated before its predecessor, and the predecessor retired
 * at once on every replica; 20 min behind, the new key's activation time was already past on every other
 * host, so it signed before verifiers could fetch it. Now: more than 5 minutes behind the newest version is
 * INVALID_CONFIG with nothing written; less than that, the version is dated at its predecessor's time and
 * keeps its whole publication delay.
 */
import { KeyManager } from '@phlow/keys-core';
import { CLOCK_TOLERANCE_MS } from '@phlow/keys-core/adapter';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { CHEAP_SCRYPT, RAW_KEY, tempDir } from './helpers.js';

const T = Date.parse('2026-12-07T10:00:00.000Z');
const DELAY = 60_000;
const GRACE = 3_600_000;
const MIN = 60_000;

/** A host with its own clock, reading and writing the key file in `cwd`. */
function host(cwd: string, clock: number) {
  const now = () => clock;
  const store = createFileKeyStore({
    cwd,
    path: 'keys.enc',
    masterKey: RAW_KEY,
    scrypt: CHEAP_SCRYPT,
    env: {},
    now,
  });
  return new KeyManager({ store, now, rotationDelayMs: DELAY, rotationGracePeriodMs: GRACE, env: {} });
}

async function setup() {
  const cwd = tempDir();
  const first = await host(cwd, T).createKey('agent');
  return { cwd, first };
}

describe('a rotation from a host whose clock is behind', () => {
  it.each([
    ['25 h', 25 * 60 * MIN],
    ['20 min', 20 * MIN],
    ['just over the tolerance', CLOCK_TOLERANCE_MS + 1_000],
  ])('%s behind the newest version is refused, and nothing changes for the fleet', async (_label, behind) => {
    const { cwd, first } = await setup();
    const error = await host(cwd, T - behind)
      .rotateKeyPair('agent')
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
    expect(error?.code).toBe('INVALID_CONFIG');
    expect(error?.message).toMatch(
      /^\[phlow\] \[encrypted_file\] this host's clock .* behind the newest version of key "agent"/,
    );
    expect(error?.message).toContain('synchronise');
    // A correct host a second later: one version, the first key signs and verifies.
    const state = await host(cwd, T + 1_000).rotationState('agent');
    expect(state.current.kid).toBe(first.kid);
    expect(state.signing.kid).toBe(first.kid);
    expect(state.verifying.map((k) => k.kid)).toEqual([first.kid]);
  });

  it('2 min behind (within the tolerance): dated at its predecessor, and the publication delay is kept', async () => {
    const { cwd, first } = await setup();
    const rotated = await host(cwd, T - 2 * MIN).rotateKeyPair('agent');
    const versions = await createFileKeyStore({
      cwd,
      path: 'keys.enc',
      masterKey: RAW_KEY,
      scrypt: CHEAP_SCRYPT,
      env: {},
    }).getKeyVersions('agent');
    expect(
      versions.map((v) => [v.version, v.createdAt?.toISOString(), v.activatesAt?.toISOString()]),
    ).toEqual([
      ['2', new Date(T).toISOString(), new Date(T + DELAY).toISOString()],
      ['1', new Date(T).toISOString(), undefined],
    ]);
    // A correct host a second later: the new key is published, not signing; the old key signs and verifies.
    const state = await host(cwd, T + 1_000).rotationState('agent');
    expect(state.current.kid).toBe(rotated.kid);
    expect(state.signing.kid).toBe(first.kid);
    expect(state.activatesAt?.getTime()).toBe(T + DELAY);
    expect(state.verifying.map((k) => k.kid)).toEqual([rotated.kid, first.kid]);
    // And once the delay is over, the new key signs while the old one is still in its grace period.
    const later = await host(cwd, T + DELAY).rotationState('agent');
    expect(later.signing.kid).toBe(rotated.kid);
    expect(later.verifying.map((k) => k.kid)).toEqual([rotated.kid, first.kid]);
  });

  it('a clock ahead of the newest version writes its own times, as before', async () => {
    const { cwd } = await setup();
    await host(cwd, T + 10 * MIN).rotateKeyPair('agent');
    const [newest] = await createFileKeyStore({
      cwd,
      path: 'keys.enc',
      masterKey: RAW_KEY,
      scrypt: CHEAP_SCRYPT,
      env: {},
    }).getKeyVersions('agent');
    expect(newest?.createdAt?.getTime()).toBe(T + 10 * MIN);
    expect(newest?.activatesAt?.getTime()).toBe(T + 10 * MIN + DELAY);
  });

  it('the store alone (no KeyManager): a write far behind is refused, a write a little behind is never dated earlier', async () => {
    const cwd = tempDir();
    const at = (clock: number) =>
      createFileKeyStore({
        cwd,
        path: 'keys.enc',
        masterKey: RAW_KEY,
        scrypt: CHEAP_SCRYPT,
        env: {},
        now: () => clock,
      });
    const { ed25519Pair } = await import('./helpers.js');
    const [a, b, c] = [ed25519Pair(), ed25519Pair(), ed25519Pair()];
    await at(T).storeKeyPair('agent', a.privateKey, a.publicKey, { expectedVersion: null });
    await expect(
      at(T - 6 * MIN).storeKeyPair('agent', b.privateKey, b.publicKey, { expectedVersion: '1' }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await at(T - 30_000).storeKeyPair('agent', c.privateKey, c.publicKey, { expectedVersion: '1' });
    const versions = await at(T).getKeyVersions('agent');
    expect(versions.map((v) => [v.version, v.createdAt?.getTime()])).toEqual([
      ['2', T],
      ['1', T],
    ]);
  });
});
