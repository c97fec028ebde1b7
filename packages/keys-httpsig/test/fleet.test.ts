// The fleet test of issue 23, with real processes: the agent (this process) signs through Vault Transit while
// its key rotates (staged, then emergency); its directory is served by a child process over HTTP from the
// same Transit keys; a verifier in another child process fetches the directory under its policy. Every
// bound is a count of requests; clocks are moved forward (the agent's and the verifier's together), never
// waited on.
//
// The documented bounds (README "Rotation and revocation bounds"): a key staged by rotation is published at
// once and signs from its activation time; a verifier whose cached directory is older than max-age refetches
// it, and an unknown keyid refetches at most once per cooldown. While the directory is down, known keys keep
// verifying (stale-if-error, 24 h). A key removed by emergency rotation is accepted until the verifier's
// cached copy expires: max-age clamped to [minMaxAgeMs, maxMaxAgeMs] (here 60 s), and refused after.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KeyManager } from '@phlow/keys-core';
import { createVaultTransitKeyStore } from '@phlow/keystore-vault/transit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const mount = `httpsig-${Date.now().toString(36)}`;
const keyId = 'fleet-agent';
const MAX_AGE_S = 60;
const N = 20;

async function vault(method: string, path: string, body?: unknown): Promise<void> {
  const { VAULT_ADDR, VAULT_TOKEN } = process.env;
  if (!VAULT_ADDR || !VAULT_TOKEN)
    throw new Error('run through tooling/services/with-services.sh (VAULT_ADDR, VAULT_TOKEN)');
  const res = await fetch(`${VAULT_ADDR}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': VAULT_TOKEN },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`vault ${method} ${path}: ${res.status} ${await res.text()}`);
}

const env = () => ({ ...process.env, PHLOW_VAULT_TRANSIT_MOUNT: mount, FLEET_KEY_ID: keyId });

/** A child that prints one JSON line when ready. */
async function child(
  script: string,
  extra: Record<string, string>,
): Promise<{ proc: ChildProcess; lines: Interface; first: Record<string, string> }> {
  const proc = spawn(process.execPath, [join(here, 'fleet', script)], {
    env: { ...env(), ...extra },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! });
  return { proc, lines, first: {} };
}

async function startDirectory(port = 0) {
  const c = await child('directory.mjs', { FLEET_PORT: String(port), FLEET_MAX_AGE: String(MAX_AGE_S) });
  const [line] = (await Promise.race([
    once(c.lines, 'line'),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('directory child did not start in 60 s')), 60_000),
    ),
  ])) as [string];
  return { proc: c.proc, origin: (JSON.parse(line) as { origin: string }).origin };
}

let agent: KeyManager;
let agentOffset = 0;
let directory: { proc: ChildProcess; origin: string };
let verifier: {
  proc: ChildProcess;
  ask: (command: Record<string, unknown>) => Promise<Record<string, unknown>>;
};

async function startVerifier(origin: string) {
  const c = await child('verifier.mjs', {
    FLEET_ORIGIN: origin,
    FLEET_MIN_MAX_AGE_MS: String(MAX_AGE_S * 1000),
  });
  const pending: ((line: string) => void)[] = [];
  c.lines.on('line', (line) => pending.shift()?.(line));
  return {
    proc: c.proc,
    ask: (command: Record<string, unknown>) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('verifier child did not answer in 60 s')), 60_000);
        pending.push((line) => {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        });
        c.proc.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
  };
}

/** A request signed by the agent now (its clock), as the verifier child receives it. */
async function signed(path = '/orders') {
  const request = await signRequest(
    agent,
    keyId,
    new Request(`https://api.example${path}`, { method: 'POST', body: `{"at":"${path}"}` }),
    {
      agent: directory.origin,
      now: () => Date.now() + agentOffset,
    },
  );
  return {
    cmd: 'verify',
    method: 'POST',
    url: request.url,
    headers: [...request.headers],
    body: await request.text(),
  };
}

/** Moves the agent's and the verifier's clocks forward together. */
async function advance(ms: number) {
  agentOffset += ms;
  await verifier.ask({ cmd: 'advance', ms });
}

async function acceptedOf(
  count: number,
): Promise<{ accepted: number; kids: Set<string>; refusals: unknown[] }> {
  let accepted = 0;
  const kids = new Set<string>();
  const refusals: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await verifier.ask(await signed(`/orders/${i}`));
    if (answer.ok) {
      accepted++;
      kids.add(answer.keyid as string);
    } else refusals.push(answer);
  }
  return { accepted, kids, refusals };
}

beforeAll(async () => {
  await vault('POST', `sys/mounts/${mount}`, { type: 'transit' });
  agent = new KeyManager({
    store: createVaultTransitKeyStore({ mount, env: process.env, onWarning: () => {} }),
    now: () => Date.now() + agentOffset,
    rotationDelayMs: 10 * 60_000,
  });
  await agent.createKey(keyId);
  directory = await startDirectory();
  verifier = await startVerifier(directory.origin);
}, 120_000);

afterAll(async () => {
  verifier?.proc.kill();
  directory?.proc.kill();
  await agent?.close();
  await vault('DELETE', `sys/mounts/${mount}`).catch(() => {});
});

describe('fleet: Transit signer, directory process, verifier process', () => {
  it('accepts every request signed through Transit; the private key never left Vault', async () => {
    const { accepted, kids, refusals } = await acceptedOf(N);
    expect(refusals).toEqual([]);
    expect(accepted).toBe(N);
    expect([...kids]).toEqual([(await agent.getPublicKeyPair(keyId)).kid]);
    await expect(agent.getKeyPair(keyId)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('staged rotation: the new key is published before it signs; every request before and after activation is accepted', async () => {
    const old = (await agent.getPublicKeyPair(keyId)).kid;
    const rotation = await agent.rotateKeyPair(keyId);
    const next = rotation.kid;
    expect(next).not.toBe(old);
    const before = await acceptedOf(N);
    expect(before.accepted).toBe(N);
    expect([...before.kids]).toEqual([old]);
    // The directory publishes the new key now, before it signs.
    const doc = (await (
      await fetch(`${directory.origin}/.well-known/http-message-signatures-directory`)
    ).json()) as { keys: { kid: string }[] };
    expect(doc.keys.map((k) => k.kid)).toEqual([next, old]);
    // Past the activation time (10 min): the agent signs with the new key, the verifier refetched (max-age passed).
    await advance(10 * 60_000 + 1000);
    const after = await acceptedOf(N);
    expect(after.refusals).toEqual([]);
    expect([...after.kids]).toEqual([next]);
  });

  it('keeps verifying while the directory server is down (stale-if-error), for known keys', async () => {
    const port = new URL(directory.origin).port;
    directory.proc.kill();
    await once(directory.proc, 'exit');
    await advance(MAX_AGE_S * 1000 * 3); // the cached copy is stale: each refetch fails
    const down = await acceptedOf(N);
    expect(down.refusals).toEqual([]);
    expect(down.accepted).toBe(N);
    directory = await startDirectory(Number(port));
  });

  it("emergency rotation: the revoked key is refused once the verifier's copy is older than max-age (60 s)", async () => {
    const revokedA = await signed('/before-revocation/a');
    const revokedB = await signed('/before-revocation/b');
    const revokedKid = (await agent.getPublicKeyPair(keyId)).kid;
    const result = await agent.rotateKeyPair(keyId, { revokePrevious: true });
    const fresh = result.kid;
    // Within the bound the verifier's cached directory still lists the revoked key: accepted (documented).
    const within = await verifier.ask(revokedA);
    expect(within).toMatchObject({ ok: true, keyid: revokedKid });
    // The new key signs at once; a verifier that has not refetched refuses it (KEY_UNKNOWN) until its next
    // fetch attempt, at most one cooldown (here 1 s) after its last one: then every request is accepted.
    const early = await verifier.ask(await signed('/first-after-revocation'));
    expect(early.ok === true || early.code === 'KEY_UNKNOWN').toBe(true);
    await advance(2000);
    const now = await acceptedOf(N);
    expect(now.refusals).toEqual([]);
    expect([...now.kids]).toEqual([fresh]);
    // After the bound, another request signed by the revoked key (before revocation, not expired) is refused.
    await advance(MAX_AGE_S * 1000 + 1000);
    expect(await verifier.ask(revokedB)).toMatchObject({ ok: false, code: 'KEY_UNKNOWN' });
    const still = await acceptedOf(N);
    expect(still.accepted).toBe(N);
  });
});
