/**
 * The Transit policy the README gives keeps the keys in Vault (issue 19 item 7), on the real Vault server
 * (tooling/services/with-services.sh). The policy is read from the README itself, so the text users copy is
 * the text tested. With a token holding exactly it: the store creates, signs, rotates, lists and deletes, and
 * every request that could take a private key out of Vault (or put a known one in) is a 403, after which the
 * key is still non-exportable and still signs.
 */
import { KeyManager } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultTransitKeyStore } from '../src/transit.js';
import { readmeTransitPolicy, storeEnv, sys, testVault, tokenWithPolicy, uid } from './helpers/vault.js';

const mount = `transit-policy-${Date.now().toString(36)}`;
const message = new TextEncoder().encode('hello from an agent');

/** A request with `token`: the HTTP status. */
async function as(token: string, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${testVault().address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.text();
  return response.status;
}

const keyConfig = async (keyId: string) => (await sys('GET', `${mount}/keys/${keyId}`)).data;

describe("the README's Transit policy", () => {
  let token: string;
  const keyId = uid('custody');
  const store = () =>
    createVaultTransitKeyStore({ mount, onWarning: () => {}, env: storeEnv({ VAULT_TOKEN: token }) });

  beforeAll(async () => {
    await sys('POST', `sys/mounts/${mount}`, { type: 'transit' });
    token = await tokenWithPolicy(`phlow-custody-${Date.now().toString(36)}`, readmeTransitPolicy(mount));
  });
  afterAll(async () => {
    await sys('DELETE', `sys/mounts/${mount}`).catch(() => {});
  });

  it('is enough for the store: create, sign, rotate (with retirement), jwks, list, delete', async () => {
    const s = store();
    const km = new KeyManager({ store: s, rotationDelayMs: 0, rotationGracePeriodMs: 0, env: {} });
    const other = uid('lifecycle');
    try {
      await km.createKey(other);
      const signature = await km.sign(other, message);
      expect(await km.verify(other, message, signature)).toBe(true);
      await km.rotateKeyPair(other, { revokePrevious: true });
      expect((await keyConfig(other)).min_available_version).toBe(2);
      expect((await km.jwks([other])).keys).toHaveLength(1);
      expect(await s.listKeyIds()).toContain(other);
      await km.deleteKeyPair(other);
      expect(await s.getPublicKey(other)).toBeNull();
    } finally {
      await s.close();
    }
  });

  it('refuses every way to a private key with 403, and the key still signs afterwards', async () => {
    const s = store();
    const km = new KeyManager({ store: s, env: {} });
    try {
      await km.createKey(keyId);
      const attempts: [string, string, unknown?][] = [
        // The flip the issue measured (irreversible in Vault), as JSON booleans and as strings Vault parses.
        ['POST', `${mount}/keys/${keyId}/config`, { exportable: true }],
        ['POST', `${mount}/keys/${keyId}/config`, { allow_plaintext_backup: true }],
        ['POST', `${mount}/keys/${keyId}/config`, { exportable: 'true' }],
        ['POST', `${mount}/keys/${keyId}/config`, { exportable: 1 }],
        ['POST', `${mount}/keys/${keyId}/config`, { allow_plaintext_backup: 'T' }],
        ['POST', `${mount}/keys/${keyId}/config`, { exportable: true, min_decryption_version: 1 }],
        // A new key made exportable from the start, or of another type.
        ['POST', `${mount}/keys/${uid('exportable')}`, { type: 'ed25519', exportable: true }],
        ['POST', `${mount}/keys/${uid('exportable')}`, { type: 'ed25519', exportable: 'true' }],
        ['POST', `${mount}/keys/${uid('backup')}`, { type: 'ed25519', allow_plaintext_backup: true }],
        ['POST', `${mount}/keys/${uid('aes')}`, { type: 'aes256-gcm96' }],
        // Key material in: a version whose private key someone else knows.
        ['GET', `${mount}/wrapping_key`],
        ['POST', `${mount}/keys/${uid('import')}/import`, { ciphertext: 'AA==', type: 'ed25519' }],
        ['POST', `${mount}/keys/${keyId}/import_version`, { ciphertext: 'AA==' }],
        // Key material out, and back over an existing key.
        ['GET', `${mount}/export/signing-key/${keyId}`],
        ['GET', `${mount}/export/signing-key/${keyId}/1`],
        ['GET', `${mount}/backup/${keyId}`],
        ['POST', `${mount}/restore/${keyId}`, { backup: 'AA==', force: true }],
        ['POST', `${mount}/restore`, { backup: 'AA==', name: keyId, force: true }],
        // The mount's own settings.
        ['POST', `${mount}/config/keys`, { disable_upsert: false }],
      ];
      const statuses = [];
      for (const [method, path, body] of attempts)
        statuses.push([method, path, await as(token, method, path, body)]);
      expect(statuses.filter(([, , status]) => status !== 403)).toEqual([]);

      const config = await keyConfig(keyId);
      expect([config.exportable, config.allow_plaintext_backup]).toEqual([false, false]);
      const signature = await km.sign(keyId, message);
      expect(await km.verify(keyId, message, signature)).toBe(true);
    } finally {
      await km.deleteKeyPair(keyId).catch(() => {});
      await s.close();
    }
  });

  it('the broader grant it replaces (update on transit/keys/*) lets the same token make its key exportable', async () => {
    const broad = await tokenWithPolicy(
      `phlow-broad-${Date.now().toString(36)}`,
      `path "${mount}/keys/*" { capabilities = ["read", "create", "update", "delete"] }`,
    );
    const victim = uid('broad');
    await sys('POST', `${mount}/keys/${victim}`, { type: 'ed25519' });
    expect(await as(broad, 'POST', `${mount}/keys/${victim}/config`, { exportable: true })).toBe(200);
    expect((await keyConfig(victim)).exportable).toBe(true);
    await sys('POST', `${mount}/keys/${victim}/config`, { deletion_allowed: true });
    await sys('DELETE', `${mount}/keys/${victim}`);
  });
});
