/**
 * Issue 19, item 1, on the real servers: 10,000 tokens with distinct forged issuers against Vault and moto's
 * Secrets Manager cost one listing and one read of the real issuer (the documented bound for one cooldown,
 * counted at the store through the adapter kit's wrapStore), while a cold legitimate verification started
 * during the flood succeeds; the same in a child process under `ulimit -n 1024`. The stores' HTTP agents hold
 * at most 50 sockets per origin, counted at a TCP proxy in front of each server. The CLI refuses a token of an
 * unknown issuer with exit 1 without quoting it. No timing thresholds: counts and outcomes only.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { KeyManager, type KeyStore } from '@phlow/keys-core';
import { wrapStore } from '@phlow/keys-core/adapter';
import { signJwt, verifyJwt } from '@phlow/keys-jwt';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with the child process
import { openStore, runFlood } from './flood/scenario.mjs';
import { baseEnv, cli, json, tempDir, uid } from './helpers.js';

interface FloodResult {
  calls: Record<string, number>;
  outcomes: Record<string, number>;
  legit: { ok: boolean; keyId?: string; scope?: string; code?: string; message?: string };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run these tests through tooling/services/with-services.sh (pnpm --filter @phlow/cli test does)`,
    );
  }
  return value;
}

const services = () => ({
  VAULT_ADDR: required('VAULT_ADDR'),
  VAULT_TOKEN: required('VAULT_TOKEN'),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: required('AWS_ENDPOINT_URL_SECRETS_MANAGER'),
  AWS_REGION: required('AWS_REGION'),
  AWS_ACCESS_KEY_ID: required('AWS_ACCESS_KEY_ID'),
  AWS_SECRET_ACCESS_KEY: required('AWS_SECRET_ACCESS_KEY'),
});

function expectBounded(result: FloodResult, count: number) {
  expect(result.legit).toMatchObject({ ok: true, keyId: 'legit-agent', scope: 'read' });
  expect(result.outcomes).toEqual({ ISSUER_UNKNOWN: count });
  // One listing (the cold verifier's first look) and one read of the real issuer's versions; nothing per forged
  // id. (`close` is the verifier's own, at the end.)
  const { close: _close, ...reads } = result.calls;
  expect(reads).toEqual({ listKeyIds: 1, getKeyVersions: 1 });
}

describe.each(['vault', 'aws'] as const)('a flood of forged issuers on %s', (kind) => {
  it('10,000 distinct forged issuers: one listing and one read of the real issuer; a cold legitimate token verifies', async () => {
    const result = (await runFlood(kind, services(), { count: 10_000 })) as FloodResult;
    expectBounded(result, 10_000);
  }, 120_000);

  it('the same in a child process under ulimit -n 1024', async () => {
    const child = spawn(
      'bash',
      [
        '-c',
        `ulimit -n 1024; exec "${process.execPath}" "${join(import.meta.dirname, 'flood/child.mjs')}" ${kind} 10000`,
      ],
      {
        env: { ...baseEnv(), ...services(), AWS_EC2_METADATA_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // stderr may hold the AWS SDK's Node-version notice (a warning); never an error such as EMFILE.
    expect({ code, errors: stderr.split('\n').filter((line) => /error|EMFILE/i.test(line)) }).toEqual({
      code: 0,
      errors: [],
    });
    expectBounded(JSON.parse(stdout) as FloodResult, 10_000);
  }, 120_000);
});

/**
 * A TCP proxy to `target` that counts, at most at once, the connections open (`maxOpen`) and the connections
 * still waiting for the first byte of an answer (`maxWaiting`). moto closes every connection after its answer
 * and the client may open the next one before the proxy sees the old one close, so for moto only `maxWaiting`
 * is exact: a client cannot have more connections waiting than it has sockets, and a connection stops waiting
 * when the proxy forwards the answer, before the client can reuse its socket slot.
 */
async function countingProxy(target: URL) {
  let open = 0;
  let waiting = 0;
  let maxOpen = 0;
  let maxWaiting = 0;
  const server: Server = createServer((client) => {
    open++;
    waiting++;
    maxOpen = Math.max(maxOpen, open);
    maxWaiting = Math.max(maxWaiting, waiting);
    const upstream = connect(Number(target.port), target.hostname);
    let answered = false;
    let closed = false;
    const answer = () => {
      if (!answered) {
        answered = true;
        waiting--;
      }
    };
    const done = () => {
      answer();
      if (!closed) {
        closed = true;
        open--;
      }
      client.destroy();
      upstream.destroy();
    };
    upstream.once('data', answer); // registered before pipe: counted down before the bytes are forwarded
    for (const socket of [client, upstream]) {
      socket.on('close', done);
      socket.on('error', done);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    maxOpen: () => maxOpen,
    maxWaiting: () => maxWaiting,
    close: () => server.close(),
  };
}

/** Calls the Vault HTTP API with the root token. */
async function vaultApi(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const env = services();
  const response = await fetch(`${env.VAULT_ADDR}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': env.VAULT_TOKEN, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

describe('a verifier whose Vault token may read keys but not list them', () => {
  it('falls back to the budget: forged issuers cost at most the burst (20) of reads, the excess is refused at once, a known issuer verifies throughout', async () => {
    const env = services();
    const prefix = uid('nolist');
    const policy = [
      `path "phlow/data/${prefix}/*" { capabilities = ["read"] }`,
      `path "phlow/metadata/${prefix}/*" { capabilities = ["read"] }`,
    ].join('\n');
    await vaultApi('PUT', `sys/policies/acl/${prefix}`, { policy });
    const created = (await vaultApi('POST', 'auth/token/create', { policies: [prefix], ttl: '10m' })) as {
      auth: { client_token: string };
    };
    const writer = new KeyManager({ store: openStore('vault', env, prefix), env: {}, rotationDelayMs: 0 });
    await writer.generateKeyPair('known-agent');
    const t0 = Date.now();
    const now = () => t0;
    const token = await signJwt(writer, 'known-agent', {}, { now });
    const calls: Record<string, number> = {};
    const store = wrapStore(
      openStore('vault', { ...env, VAULT_TOKEN: created.auth.client_token }, prefix) as KeyStore,
      (method, _args, call) => {
        calls[method] = (calls[method] ?? 0) + 1;
        return call();
      },
    );
    const verifier = new KeyManager({ store, env: {}, now });
    expect((await verifyJwt(verifier, token, { now })).keyId).toBe('known-agent'); // before the flood
    verifier.clear();
    const forged = (i: number) => {
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${b64({ alg: 'EdDSA', kid: 'A'.repeat(43) })}.${b64({ iss: `forged-${i}`, exp: Math.floor(t0 / 1000) + 600 })}.${'A'.repeat(86)}`;
    };
    const codes: Record<string, number> = {};
    const flood = Array.from({ length: 2_000 }, (_, i) =>
      verifyJwt(verifier, forged(i), { now }).catch((error: { code: string }) => {
        codes[error.code] = (codes[error.code] ?? 0) + 1;
      }),
    );
    const during = verifyJwt(verifier, token, { now });
    await Promise.all(flood);
    expect((await during).keyId).toBe('known-agent');
    // The listing was refused (ACCESS_DENIED) once, then not tried again within the cooldown.
    expect(calls.listKeyIds).toBe(1);
    const forgedReads = (calls.getKeyVersions ?? 0) - 2; // the known issuer was read twice (before, and after clear)
    expect(forgedReads).toBeGreaterThan(0);
    expect(forgedReads).toBeLessThanOrEqual(20);
    expect(codes).toEqual({ ISSUER_UNKNOWN: forgedReads, UNAVAILABLE: 2_000 - forgedReads });
    await verifier.close();
    await writer.deleteKeyPair('known-agent', { destroy: true });
    await writer.close();
  }, 120_000);
});

describe('socket limits of the network stores', () => {
  it.each(['vault', 'aws'] as const)(
    '%s: 300 concurrent reads keep at most 50 requests at the server at once',
    async (kind) => {
      const env = services();
      const target = new URL(kind === 'vault' ? env.VAULT_ADDR : env.AWS_ENDPOINT_URL_SECRETS_MANAGER);
      const proxy = await countingProxy(target);
      try {
        const store = openStore(
          kind,
          kind === 'vault'
            ? { ...env, VAULT_ADDR: proxy.url }
            : { ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.url },
          uid('sockets'),
        );
        // Distinct ids: nothing in front of the store (no KeyManager) joins them.
        const answers = await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            store.getKeyVersions!(`missing-${i}`).then((v: unknown[]) => v.length),
          ),
        );
        expect(answers.every((n: number) => n === 0)).toBe(true);
        expect(proxy.maxWaiting()).toBeGreaterThan(1);
        expect(proxy.maxWaiting()).toBeLessThanOrEqual(50);
        // Vault keeps its connections alive: there the open connections themselves are counted exactly.
        if (kind === 'vault') expect(proxy.maxOpen()).toBeLessThanOrEqual(50);
        await store.close?.();
      } finally {
        proxy.close();
      }
    },
    120_000,
  );
});

describe('phlow-keys verify-token with a forged issuer', () => {
  it('exits 1 (refused, ISSUER_UNKNOWN) and does not quote the forged value', async () => {
    const env = services();
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgedIss = uid('forged-issuer');
    const token = `${b64({ alg: 'EdDSA', kid: 'A'.repeat(43) })}.${b64({ iss: forgedIss, exp: Math.floor(Date.now() / 1000) + 600 })}.${'A'.repeat(86)}`;
    const storeEnv = baseEnv({
      PHLOW_KEY_STORE_TYPE: 'vault',
      VAULT_ADDR: env.VAULT_ADDR,
      VAULT_TOKEN: env.VAULT_TOKEN,
      PHLOW_VAULT_PREFIX: uid('cli-flood'),
    });
    const cwd = tempDir('flood');
    const plain = await cli(['verify-token', token], { cwd, env: storeEnv });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('ISSUER_UNKNOWN');
    expect(plain.stdout + plain.stderr).not.toContain(forgedIss);
    const asJson = await cli(['verify-token', token, '--json'], { cwd, env: storeEnv });
    expect(asJson.code).toBe(1);
    expect(json(asJson)).toMatchObject({ valid: false, error: { code: 'ISSUER_UNKNOWN', exitCode: 1 } });
    expect(asJson.stdout + asJson.stderr).not.toContain(forgedIss);
  }, 60_000);
});
