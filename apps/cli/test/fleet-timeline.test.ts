/**
 * Issue 18, the rotation timeline decided once, on real processes over the encrypted file store: 4 replicas
 * (test/fleet/replica.mjs), each with its own KeyManager, and `phlow-keys rotate` in processes of its own.
 *
 * - A user of the guide signs with what `getKeyPair` returns: during a staged rotation that must be the key
 *   `sign` uses (the previous one until activation), or remote verifiers get signatures they cannot check yet.
 * - Replicas started with other delay settings agree on the signing key: the rotating process fixes the
 *   activation time once and stores it with the version, and a key replaced by an active newer key never
 *   signs again, also on a replica restarted with another delay.
 * - `rotate --now` writes the new key once (a version slot, not two).
 *
 * Short settings (TTL 1 s, delay 4 s); every loop is bounded by rounds, every request has a deadline.
 */
import { KeyManager } from '@phlow/keys-core';
import fileStore from '@phlow/keystore-file';
import { describe, expect, it } from 'vitest';
import { Fleet, KeyBook, type SignatureRecord } from './fleet/harness.mjs';
import { baseEnv, cli, initProject, json, type TestEnv, uid } from './helpers.js';

const TTL_SECONDS = 1;
const DELAY_SECONDS = 4;
const REPLICAS = 4;

const storeEnv = (extra: TestEnv = {}) =>
  baseEnv({
    PHLOW_KEY_STORE_TYPE: 'encrypted_file',
    PHLOW_MASTER_KEY_FILE: '.phlow/master.key',
    PHLOW_KEY_CACHE_TTL_SECONDS: String(TTL_SECONDS),
    PHLOW_KEY_ROTATION_DELAY_SECONDS: String(DELAY_SECONDS),
    PHLOW_KEY_ROTATION_GRACE_SECONDS: '900',
    PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS: '0',
    PHLOW_KEY_CACHE_REFETCH_COOLDOWN_SECONDS: '0.5',
    ...extra,
  });

/** Runs the CLI and fails the test, with its output, when it does not exit 0. */
async function ok(args: string[], cwd: string, env: TestEnv) {
  const result = await cli(args, { cwd, env });
  if (result.code !== 0)
    throw new Error(`phlow-keys ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
  return result;
}

interface FleetRun {
  fleet: Fleet;
  id: string;
  book: KeyBook;
  cwd: string;
  env: TestEnv;
}

/** A fleet on a fresh key, replica i with `delays[i]` seconds of rotation delay (all DELAY_SECONDS by default). */
async function withFleet(delays: readonly number[], run: (f: FleetRun) => Promise<void>) {
  const env = storeEnv();
  const cwd = await initProject(baseEnv());
  const id = uid('timeline');
  await ok(['generate', id], cwd, env);
  const book = new KeyBook();
  book.add(json(await ok(['jwks', id], cwd, env)));
  const fleet = new Fleet({
    size: REPLICAS,
    cwd,
    env: { ...(env as Record<string, string>), FLEET_KEY_ID: id },
    envs: delays.map((d) => ({ PHLOW_KEY_ROTATION_DELAY_SECONDS: String(d) })),
  });
  try {
    await fleet.stagger(TTL_SECONDS * 1000);
    await run({ fleet, id, book, cwd, env });
  } finally {
    await fleet.stop();
    await cli(['delete', id, '--yes', '--destroy'], { cwd, env });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the rotate --json shape.
type Rotated = any;

/** `rotate` (with `env`, so with its delay) in its own process during traffic, until every replica uses the new key. */
function rotateDuringTraffic(f: FleetRun, op: 'sign' | 'pair', env: TestEnv = f.env, flags: string[] = []) {
  return f.fleet.rotateDuringTraffic<Rotated>({
    book: f.book,
    op,
    rotate: async () => json(await ok(['rotate', f.id, ...flags, '--json'], f.cwd, env)),
    jwks: async () => json(await ok(['jwks', f.id], f.cwd, f.env)),
  });
}

/** Signatures that break the timeline: the new key before its activation, the old one a TTL after it. */
function offTimeline(book: KeyBook, during: SignatureRecord[], previous: string, rotated: Rotated) {
  const activatesAt = Date.parse(rotated.activatesAt);
  return during
    .map((s) => ({ s, kid: book.signer(s.msg, s.sig) }))
    .filter(
      ({ s, kid }) =>
        ![previous, rotated.kid].includes(kid) ||
        (s.after < activatesAt && kid !== previous) ||
        (s.before >= activatesAt + TTL_SECONDS * 1000 && kid !== rotated.kid),
    )
    .map(({ s, kid }) => ({
      replica: s.replica,
      key: kid === previous ? 'previous' : 'new',
      at: s.after - activatesAt,
    }));
}

describe('the rotation timeline across processes (encrypted_file)', () => {
  it('getKeyPair during a staged rotation returns only the key sign uses, whose signatures every replica accepts', async () => {
    await withFleet([], async (f) => {
      for (let i = 0; i < 3; i++) await f.fleet.round('pair');
      const previous = f.book.signer(f.fleet.signatures.at(-1)!.msg, f.fleet.signatures.at(-1)!.sig)!;
      const { rotated, during } = await rotateDuringTraffic(f, 'pair');
      expect(rotated.previousKid).toBe(previous);
      expect(offTimeline(f.book, during, previous, rotated)).toEqual([]);
      expect(f.fleet.errors).toEqual([]);
      expect(f.fleet.failed).toBe(0);
    });
  }, 600_000);

  it('replicas with other delay settings agree on the signing key, and a replaced key never signs again after a restart', async () => {
    await withFleet([1, DELAY_SECONDS, 8, 16], async (f) => {
      for (let i = 0; i < 3; i++) await f.fleet.round();
      const first = f.book.signer(f.fleet.signatures.at(-1)!.msg, f.fleet.signatures.at(-1)!.sig)!;
      // The rotating process's delay (DELAY_SECONDS) decides, whatever each replica's own setting.
      const { rotated, during } = await rotateDuringTraffic(f, 'sign');
      expect(offTimeline(f.book, during, first, rotated)).toEqual([]);

      // Restarted with other delays, then a second rotation whose key waits 30 s: the first key, replaced by
      // an active key, never signs again, and the pending key does not sign yet.
      await f.fleet.restart(0, { PHLOW_KEY_ROTATION_DELAY_SECONDS: '0' });
      await f.fleet.restart(3, { PHLOW_KEY_ROTATION_DELAY_SECONDS: '60' });
      const second = json(
        await ok(['rotate', f.id, '--json'], f.cwd, { ...f.env, PHLOW_KEY_ROTATION_DELAY_SECONDS: '30' }),
      );
      f.book.add(json(await ok(['jwks', f.id], f.cwd, f.env)));
      const from = f.fleet.signatures.length;
      for (let i = 0; i < 20; i++) await f.fleet.round();
      const pendingUntil = Date.parse(second.activatesAt);
      const kids = f.fleet.signatures
        .slice(from)
        .filter((s) => s.after < pendingUntil)
        .map((s) => f.book.signer(s.msg, s.sig));
      expect(kids.length).toBeGreaterThan(0);
      expect(kids.filter((kid) => kid !== rotated.kid)).toEqual([]);
      expect(f.fleet.errors).toEqual([]);
      expect(f.fleet.failed).toBe(0);
    });
  }, 600_000);

  it('rotate --now writes the new key once, and it signs at once in a process with a long delay', async () => {
    const env = storeEnv();
    const cwd = await initProject(baseEnv());
    const id = uid('now');
    try {
      await ok(['generate', id], cwd, env);
      const rotated = json(await ok(['rotate', id, '--now', '--json'], cwd, env));
      const store = await fileStore.create({ env, cwd });
      expect(await store.getKeyVersions!(id)).toHaveLength(2);
      const replica = new KeyManager({
        store,
        env: { ...env, PHLOW_KEY_ROTATION_DELAY_SECONDS: '600', PHLOW_KEY_ROTATION_GRACE_SECONDS: '3600' },
      });
      expect((await replica.signDetailed(id, 'm')).kid).toBe(rotated.kid);
      await replica.close();
    } finally {
      await cli(['delete', id, '--yes', '--destroy'], { cwd, env });
    }
  }, 600_000);
});
