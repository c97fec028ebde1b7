/**
 * The real Vault server that tooling/services/with-services.sh starts for these tests, and admin helpers that
 * use its root token (policies, tokens, mounts). Tests fail, never skip, when run without it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { createVaultKeyStore, type VaultKeyStore, type VaultKeyStoreOptions } from '../../src/index.js';

const run = promisify(execFile);

export interface TestVault {
  readonly address: string;
  readonly rootToken: string;
}

export function testVault(): TestVault {
  const address = process.env.VAULT_ADDR;
  const rootToken = process.env.VAULT_TOKEN;
  if (!address || !rootToken) {
    throw new Error(
      'VAULT_ADDR and VAULT_TOKEN are not set: run these tests through tooling/services/with-services.sh ' +
        '(pnpm --filter @phlow/keystore-vault test does), which starts a real Vault dev server',
    );
  }
  return { address, rootToken };
}

/** A key id no other test uses. */
export function uid(label: string): string {
  return `vt-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A maker of unique key ids for one test file or describe block; every id it made is destroyed in `store`
 * after the block, so the shared server does not fill up.
 */
export function trackedIds(store: VaultKeyStore): (label: string) => string {
  const ids: string[] = [];
  afterAll(async () => {
    for (const keyId of ids) await store.deleteKeyPair(keyId, { destroy: true });
  });
  return (label) => {
    const keyId = uid(label);
    ids.push(keyId);
    return keyId;
  };
}

/** A HOME without ~/.vault-token, so the only credentials are the ones a test gives. */
const emptyHome = mkdtempSync(join(tmpdir(), 'phlow-vault-test-home-'));

/** Environment for a store: the server's address and, unless replaced, its root token. */
export function storeEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const { address, rootToken } = testVault();
  return { VAULT_ADDR: address, VAULT_TOKEN: rootToken, HOME: emptyHome, ...extra };
}

export function createTestStore(options: VaultKeyStoreOptions = {}): VaultKeyStore {
  return createVaultKeyStore({ onWarning: () => {}, ...options, env: { ...storeEnv(), ...options.env } });
}

/** Calls the HTTP API with the root token; throws on a non-2xx answer. */
// biome-ignore lint/suspicious/noExplicitAny: admin answers are read ad hoc, field by field, in tests
export async function sys(method: string, path: string, body?: unknown): Promise<any> {
  const { address, rootToken } = testVault();
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': rootToken, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates policy `name` and a token holding only it (plus `default`). */
export async function tokenWithPolicy(name: string, hcl: string, ttl = '10m'): Promise<string> {
  await sys('PUT', `sys/policies/acl/${name}`, { policy: hcl });
  const created = await sys('POST', 'auth/token/create', { policies: [name], ttl });
  return created.auth.client_token as string;
}

/** Runs the real `vault` CLI ($PHLOW_VAULT_BIN) against the test server with the root token. */
export async function vaultCli(args: string[], cwd?: string): Promise<string> {
  const bin = process.env.PHLOW_VAULT_BIN;
  if (!bin)
    throw new Error('PHLOW_VAULT_BIN is not set: run these tests through tooling/services/with-services.sh');
  const { address, rootToken } = testVault();
  const { stdout } = await run(bin, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: emptyHome, VAULT_ADDR: address, VAULT_TOKEN: rootToken },
  });
  return stdout;
}

/** Enables a KV mount for one test file; returns its path. */
export async function enableKv(
  path: string,
  version: '1' | '2',
  config?: Record<string, unknown>,
): Promise<string> {
  await sys('POST', `sys/mounts/${path}`, { type: 'kv', options: { version } });
  if (config) {
    // A fresh KV v2 mount upgrades itself for a moment before it accepts config writes.
    for (let i = 0; ; i++) {
      try {
        await sys('POST', `${path}/config`, config);
        break;
      } catch (error) {
        if (i >= 50) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  return path;
}

/** The Transit policy the README gives (the hcl block after "Minimal policy"), for `mount` instead of transit/. */
export function readmeTransitPolicy(mount: string): string {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const at = readme.indexOf('Minimal policy (what the tests run with');
  const block = /```hcl\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !block) throw new Error('the README no longer has the Transit "Minimal policy" hcl block');
  return block[1]!.replaceAll('"transit/', `"${mount}/`);
}
