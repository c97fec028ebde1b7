/**
 * The fleet (issue 20, "Rotation"): separate processes on one file store: an issuing agent serving its
 * signed card over HTTP (fleet/issuer.mjs), a verifying agent that caches the card as HTTP allows and
 * verifies it on every check (fleet/verifier.mjs), and rotations made from a third process (fleet/rotate.mjs):
 * first a staged rotation, then an emergency rotation (revokePrevious). Bounds are counts of checks, never
 * wall-clock times (MAX_CHECKS is a guard against a hang). The documented bounds:
 * - staged rotation: every check accepts the card (0 refusals), with the old key until the card the
 *   verifier holds is signed by the new key only;
 * - emergency rotation: no check made after the rotation returned accepts a revoked key (0 wrong
 *   acceptances); the card is refused only while the issuer still serves a card signed by revoked keys (it
 *   re-signs within its KeyManager's cache TTL plus one second); a card with the new key's signature is never refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore, generateMasterKey } from '@phlow/keystore-file';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleCard } from './sample-card.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'phlow-a2a-fleet-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

const MAX_CHECKS = 3000;
/** A deadline for each answer of a child: a hang fails the test instead of stalling it. */
const ANSWER_DEADLINE_MS = 60_000;
const pause = () => new Promise((resolve) => setTimeout(resolve, 40));

interface Check {
  accepted: boolean;
  kid?: string;
  code?: string;
  refetched: boolean;
  cardKids: string[];
  fetched: number;
  notModified: number;
}

function child(file: string, env: Record<string, string>, args: string[] = []) {
  const proc = spawn(process.execPath, [join(here, 'fleet', file), ...args], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(proc);
  const pending: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else pending.push(line);
  });
  const next = <T>(): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const line = pending.shift();
      if (line !== undefined) return resolve(JSON.parse(line) as T);
      const timer = setTimeout(() => reject(new Error(`${file} gave no answer in time`)), ANSWER_DEADLINE_MS);
      const exited = () => reject(new Error(`${file} exited`));
      proc.once('exit', exited);
      waiting.push((l) => {
        clearTimeout(timer);
        proc.off('exit', exited);
        resolve(JSON.parse(l) as T);
      });
    });
  return { proc, next, send: (line: string) => proc.stdin!.write(`${line}\n`) };
}

describe('a verifier caching a card across a staged and an emergency rotation (separate processes)', () => {
  it('0 wrong acceptances and 0 wrong refusals', async () => {
    expect(existsSync(join(here, '../dist/index.js')), 'build @phlow/keys-a2a first (turbo does)').toBe(true);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      PHLOW_KEY_STORE_FILE: join(dir, 'keys.enc'),
      PHLOW_MASTER_KEY: generateMasterKey(),
      PHLOW_KEY_ROTATION_DELAY_SECONDS: '4',
      PHLOW_KEY_ROTATION_GRACE_SECONDS: '6',
      PHLOW_KEY_CACHE_TTL_SECONDS: '1',
      PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS: '0',
      PHLOW_KEY_CACHE_SIGNING_RECHECK_SECONDS: '300ms',
      FLEET_KEY_ID: 'agent',
      FLEET_CARD: JSON.stringify(sampleCard()),
    };
    const setup = new KeyManager({ store: createFileKeyStore({ env }), env });
    const { kid: k1 } = await setup.generateKeyPair('agent');
    await setup.close();

    const issuer = child('issuer.mjs', env);
    const { port } = await issuer.next<{ port: number }>();
    const verifier = child('verifier.mjs', {
      ...env,
      PHLOW_KEY_CACHE_TTL_SECONDS: '0',
      FLEET_CARD_URL: `http://127.0.0.1:${port}/.well-known/agent-card.json`,
    });
    const check = async (): Promise<Check> => {
      await pause();
      verifier.send('check');
      return verifier.next<Check>();
    };
    const rotate = async (mode: 'staged' | 'emergency') => {
      const rotator = child('rotate.mjs', env, [mode]);
      return rotator.next<{ kid: string; previousKid: string }>();
    };

    // Steady state: the card verifies with the only key.
    for (let i = 0; i < 5; i++) expect(await check()).toMatchObject({ accepted: true, kid: k1 });

    // Staged rotation: every check accepts, until the card the verifier holds is signed by the new key only.
    const { kid: k2 } = await rotate('staged');
    const staged = { checks: 0, wrongRefusals: 0, wrongAcceptances: 0, dualCards: 0, acceptedByOld: 0 };
    for (let done = false; !done; ) {
      if (++staged.checks > MAX_CHECKS) throw new Error('the card never moved to the new key');
      const c = await check();
      if (!c.accepted) staged.wrongRefusals++;
      else if (c.kid !== k1 && c.kid !== k2) staged.wrongAcceptances++;
      if (c.cardKids.length === 2 && c.cardKids[0] === k1 && c.cardKids[1] === k2) staged.dualCards++;
      if (c.accepted && c.kid === k1) staged.acceptedByOld++;
      done = c.accepted && c.kid === k2 && c.cardKids.length === 1 && c.cardKids[0] === k2;
    }
    expect(staged).toMatchObject({ wrongRefusals: 0, wrongAcceptances: 0 });
    // The issuer served the card signed by the signing and the next key, and verifiers took it.
    expect(staged.dualCards).toBeGreaterThan(0);

    // Emergency rotation: the previous keys are destroyed; no check after it returns accepts them.
    const { kid: k3 } = await rotate('emergency');
    const revoked = new Set([k1, k2]);
    const emergency = { checks: 0, wrongRefusals: 0, wrongAcceptances: 0, rightRefusals: 0 };
    let last: Check | undefined;
    for (let done = false; !done; ) {
      if (++emergency.checks > MAX_CHECKS) throw new Error('the card never moved to the emergency key');
      const c = await check();
      if (c.accepted && revoked.has(c.kid!)) emergency.wrongAcceptances++;
      if (!c.accepted && c.cardKids.includes(k3)) emergency.wrongRefusals++;
      if (!c.accepted && !c.cardKids.includes(k3)) {
        emergency.rightRefusals++;
        expect(c.code).toBe('KID_UNKNOWN');
      }
      done = c.accepted && c.kid === k3;
      last = c;
    }
    expect(emergency).toMatchObject({ wrongRefusals: 0, wrongAcceptances: 0 });
    // The verifier cached: far fewer full fetches than checks, and revalidations answered 304.
    expect(last!.fetched).toBeLessThan(staged.checks + emergency.checks);
    expect(last!.notModified).toBeGreaterThan(0);
    console.log(
      `fleet: staged ${JSON.stringify(staged)}; emergency ${JSON.stringify(emergency)}; card fetches ${last!.fetched}, 304s ${last!.notModified}`,
    );
    issuer.proc.stdin!.end();
    verifier.proc.stdin!.end();
  });
});
