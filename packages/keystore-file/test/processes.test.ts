// Several processes, crashes and the umask: children (test/children/*.mjs) run the built package, so these
// are real processes with their own event loops, killed with SIGKILL at random points.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore, generateMasterKey } from '../src/index.js';
import { RAW_KEY, runChild, startChild, tempDir } from './helpers.js';

/** Waits until `lines` has at least `count` entries or the child is gone. */
async function waitForLines(lines: string[], count: number, exited: Promise<unknown>) {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (lines.length < count && !done) await sleep(2);
}

describe('crashes and concurrent processes', () => {
  it('a writer killed with SIGKILL at random points never loses an acknowledged key', async () => {
    const dir = tempDir();
    const path = join(dir, '.phlow', 'keys.enc');
    const acknowledged: string[] = [];
    const ROUNDS = 30;
    // Bounded by counts, not by what fits in a time window: each round waits until its writer acknowledged
    // 1 to 4 writes (however slow the machine), then kills it a random moment later, mid-write or between
    // writes. Each round starts where the killed one left its lock (a dead pid: taken over at once) and
    // possibly a temporary file or a break lock.
    for (let round = 0; round < ROUNDS; round++) {
      const run = startChild('writer.mjs', [path, RAW_KEY, `r${round}`, '1000']);
      await waitForLines(run.lines, 1 + Math.floor(Math.random() * 4), run.exited);
      await sleep(Math.random() * 30);
      expect(run.child.kill('SIGKILL')).toBe(true);
      const { signal, code } = await run.exited;
      if (signal !== 'SIGKILL' && code !== 0) throw new Error(`writer failed: ${run.stderr()}`);
      const lines = run.lines.filter(Boolean);
      expect(lines.length, `round ${round} acknowledged nothing: ${run.stderr()}`).toBeGreaterThan(0);
      acknowledged.push(...lines);

      // After every crash the file opens and holds every key acknowledged so far, intact.
      const store = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
      const ids = new Set(await store.listKeyIds());
      for (const id of acknowledged) expect(ids.has(id), `acknowledged key ${id} was lost`).toBe(true);
      const sample = acknowledged[Math.floor(Math.random() * acknowledged.length)]!;
      expect(await store.getPrivateKey(sample)).toBe(`PRIVATE ${sample}`);
    }
    // A killed writer leaves at most its lock, its break lock and one temporary file (named
    // <file>.<pid>.<host and namespace hash>.<random>.tmp); the next writer removes them all.
    const names = () => readdirSync(join(dir, '.phlow')).sort();
    const leftover = /^keys\.enc(\.lock|\.lock\.break|\.\d+\.[0-9a-f]{8}\.[0-9a-f]{8}\.tmp)?$/;
    expect(names().filter((n) => !leftover.test(n))).toEqual([]);
    await runChild('writer.mjs', [path, RAW_KEY, 'last', '1']);
    expect(names()).toEqual(['keys.enc']);
  }, 300_000);

  it('8 processes writing different ids at once lose nothing', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.enc');
    const runs = Array.from({ length: 8 }, (_, i) => runChild('writer.mjs', [path, RAW_KEY, `p${i}`, '12']));
    const acknowledged = (await Promise.all(runs)).flat().filter(Boolean);
    expect(acknowledged).toHaveLength(96);
    const store = createFileKeyStore({ path, masterKey: RAW_KEY, env: {} });
    expect(await store.listKeyIds()).toEqual([...acknowledged].sort());
  }, 300_000);

  it('creates the file 0600 and new directories 0700 under umask 000', async () => {
    const dir = tempDir();
    const [line] = await runChild('umask.mjs', [dir, RAW_KEY]);
    expect(JSON.parse(line!)).toEqual({ file: '600', backup: '600', a: '700', b: '700' });
  });

  it('a rekey killed at any point leaves a file that opens with the old or the new key', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.enc');
    const keyA = generateMasterKey();
    const keyB = generateMasterKey();
    const seeded = createFileKeyStore({ path, masterKey: keyA, env: {} });
    for (const id of ['one', 'two', 'three']) await seeded.storeKeyPair(id, `PRIVATE ${id}`, `PUBLIC ${id}`);
    let current = keyA;
    const opened = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const other = current === keyA ? keyB : keyA;
      const run = startChild('rekeyer.mjs', [path, current, other]);
      await waitForLines(run.lines, 1 + Math.floor(Math.random() * 5), run.exited);
      await sleep(Math.random() * 20);
      run.child.kill('SIGKILL');
      const { signal, code } = await run.exited;
      if (signal !== 'SIGKILL' && code !== 0) throw new Error(`rekeyer failed: ${run.stderr()}`);

      const attempts = await Promise.all(
        [keyA, keyB].map((masterKey) =>
          createFileKeyStore({ path, masterKey, env: {} })
            .listKeyIds()
            .then(
              (ids) => ({ masterKey, ids }),
              (error: { code?: string }) => ({ masterKey, code: error.code }),
            ),
        ),
      );
      const winner = attempts.find((a) => 'ids' in a);
      expect(winner, JSON.stringify(attempts)).toBeDefined();
      expect(winner && 'ids' in winner ? winner.ids : []).toEqual(['one', 'three', 'two']);
      expect(attempts.find((a) => a !== winner)).toMatchObject({ code: 'ACCESS_DENIED' });
      current = winner!.masterKey;
      opened.add(current === keyA ? 'A' : 'B');
    }
  }, 300_000);
});
