// The verified-token cache across processes: a verifier process with the cache on verifies one token over
// and over while ANOTHER process revokes its key (`rotate --now --revoke-previous`, what the CLI runs). Each
// round the verifier first asks its own KeyManager without the cache (verifyJwt), then the cached verifier.
// The documented bound: the cache accepts a token only while its KeyManager would. Asserted in counts, no
// clock: the cache answered before the revocation (hits), the KeyManager saw the revocation (a refusal),
// and 0 tokens were accepted by the cache from the round the KeyManager refused on, over 50 more rounds.
import { execFile, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyManager } from '@phlow/keys-core';
import { generateMasterKey } from '@phlow/keystore-file';
import { afterAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/index.js';
import { openStore } from './fleet/store.mjs';

const run = promisify(execFile);
const here = join(import.meta.dirname, 'fleet');
const dir = mkdtempSync(join(tmpdir(), 'phlow-token-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Done {
  rounds: number;
  cachedAccepted: number;
  directAccepted: number;
  acceptedAfterDirectRefused: number;
  firstRefusal: number | undefined;
  cachedCode: string | undefined;
  hitsBeforeRevoke: number;
  stats: { hits: number; misses: number; revoked: number };
}

/** A guard against a hang, not a time bound: the assertions count rounds and hits. */
const MAX_POLLS = 2000;

describe('verified-token cache, multi-process', () => {
  it('0 tokens accepted by the cache once its KeyManager sees the revocation made by another process', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      FLEET_STORE: 'file',
      PHLOW_KEY_STORE_FILE: join(dir, 'keys.enc'),
      PHLOW_MASTER_KEY: generateMasterKey(),
      // The verifier rereads the issuer's versions every second: the bound the test counts on, short.
      PHLOW_KEY_CACHE_TTL_SECONDS: '1',
      PHLOW_KEY_ROTATION_DELAY_SECONDS: '0',
    };
    const id = 'cached-issuer';
    const setup = new KeyManager({ store: await openStore('file', env), env });
    await setup.generateKeyPair(id);
    const token = await signJwt(setup, id, { scope: 'read' }, { expiresIn: '1h' });

    const child = fork(join(here, 'cached-verifier.mjs'), [], {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const messages: { type: string }[] = [];
      const waiters: (() => void)[] = [];
      child.on('message', (m: { type: string }) => {
        messages.push(m);
        for (const w of waiters.splice(0)) w();
      });
      const next = async <T extends { type: string }>(type: string): Promise<T> => {
        for (;;) {
          const i = messages.findIndex((m) => m.type === type);
          if (i >= 0) return messages.splice(i, 1)[0] as T;
          await new Promise<void>((resolve, reject) => {
            waiters.push(resolve);
            child.once('exit', (code) => reject(new Error(`the verifier exited with ${code}`)));
          });
        }
      };
      await next('ready');
      child.send({ type: 'run', token, after: 50 });
      // Warm: the cache answers the repeated token (hits counted in the child).
      let polls = 0;
      for (;;) {
        child.send({ type: 'status' });
        const status = await next<{ type: string; hits: number }>('status');
        if (status.hits >= 20) break;
        if (++polls > MAX_POLLS) throw new Error('the cached verifier never answered from its cache');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const rotated = JSON.parse(
        (await run(process.execPath, [join(here, 'rotate.mjs'), id, '--now', '--revoke-previous'], { env }))
          .stdout,
      ) as { kid: string; previousKid: string };
      expect(rotated.kid).not.toBe(rotated.previousKid);
      child.send({ type: 'revoked' });
      const done = await next<Done & { type: string }>('done');

      expect(done.hitsBeforeRevoke).toBeGreaterThanOrEqual(20);
      expect(done.firstRefusal).toBeGreaterThan(0);
      expect(done.rounds).toBeGreaterThanOrEqual((done.firstRefusal ?? 0) + 50);
      // The bound: from the round its KeyManager refused, the cache accepted nothing.
      expect(done.acceptedAfterDirectRefused).toBe(0);
      expect(done.cachedCode).toBe('KID_UNKNOWN');
      expect(done.stats.revoked).toBeGreaterThanOrEqual(1);
      // And never more than the KeyManager: no more rounds than verifyJwt accepted.
      expect(done.cachedAccepted).toBeLessThanOrEqual(done.directAccepted);
    } finally {
      child.kill();
    }
  }, 60_000);
});
