/**
 * The Vault Transit signer store against the real Vault server (tooling/services/with-services.sh): the
 * testkit's signer group (create, sign, rotate, retire, KeyManager's staged rotation and grace, no private
 * key anywhere), then what is Transit's own: keys are non-exportable (Vault itself refuses to export them,
 * and the store's refusals say so), retirement trims them out of Vault, the README's minimal policy is
 * enough, and a missing mount is a clear INVALID_CONFIG.
 */
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import provider, { createVaultTransitKeyStore, type VaultTransitKeyStore } from '../src/transit.js';
import { readmeTransitPolicy, storeEnv, sys, tokenWithPolicy, uid, vaultCli } from './helpers/vault.js';

const mount = `transit-${Date.now().toString(36)}`;
const create = (env: Record<string, string | undefined> = {}) =>
  createVaultTransitKeyStore({ mount, onWarning: () => {}, env: storeEnv(env) });

beforeAll(async () => {
  await sys('POST', `sys/mounts/${mount}`, { type: 'transit' });
});

runKeyStoreConformance({ name: 'vault transit', create: () => create(), cleanup: (s) => s.close() });

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isKeyStoreError(e) ? e.code : String(e)),
  );
const message = new TextEncoder().encode('hello from an agent');

describe('vault transit', () => {
  let store: VaultTransitKeyStore;
  const ids: string[] = [];
  const id = (label: string) => {
    const keyId = uid(label);
    ids.push(keyId);
    return keyId;
  };
  beforeAll(() => {
    store = create();
  });
  afterAll(async () => {
    for (const keyId of ids) await store.deleteKeyPair(keyId).catch(() => {});
    await store.close();
  });

  it('creates non-exportable ed25519 keys: vault read <mount>/export/signing-key/<id> is refused', async () => {
    const keyId = id('export');
    await store.createKey(keyId);
    const key = (await sys('GET', `${mount}/keys/${keyId}`)).data;
    expect(key.type).toBe('ed25519');
    expect(key.exportable).toBe(false);
    expect(key.allow_plaintext_backup).toBe(false);
    const refused = await vaultCli(['read', `${mount}/export/signing-key/${keyId}`]).then(
      () => 'exported',
      (e: { stderr?: string }) => String(e.stderr),
    );
    expect(refused).toMatch(/not exportable/i);
    await expect(sys('GET', `${mount}/backup/${keyId}`)).rejects.toThrow(
      /plaintext backup|not allowed|backup/i,
    );
    const said = await store.getPrivateKey(keyId).catch((e: Error) => e.message);
    expect(said).toMatch(
      /never leaves Vault Transit \(it is created non-exportable and signs inside Vault\)/,
    );
    const noPair = await store.storeKeyPair(keyId, 'x', 'y').catch((e: Error) => e.message);
    expect(noPair).toMatch(/Vault Transit creates its keys itself and this store sends it no key material/);
  });

  it('an algorithm other than EdDSA is UNSUPPORTED and creates nothing in Vault', async () => {
    const keyId = id('es256');
    const keys = new KeyManager({ store, env: {} });
    expect(await code(keys.createKey(keyId, { algorithm: 'ES256' }))).toBe('UNSUPPORTED');
    await expect(sys('GET', `${mount}/keys/${keyId}`)).rejects.toThrow();
    expect((await keys.createKey(keyId, { algorithm: 'EdDSA' })).alg).toBe('EdDSA');
  });

  it('retirement trims the older versions out of Vault: min_available_version moves, they cannot sign', async () => {
    const keyId = id('trim');
    await store.createKey(keyId);
    await store.rotateKey(keyId, { expectedVersion: '1' });
    await store.rotateKey(keyId, { expectedVersion: '2' });
    await store.retireVersions(keyId, { keepFrom: '3' });
    const key = (await sys('GET', `${mount}/keys/${keyId}`)).data;
    expect(Object.keys(key.keys), 'older versions trimmed out of Vault').toEqual(['3']);
    expect(key.min_available_version).toBe(3);
    expect(key.min_decryption_version).toBe(3);
    // Transit answers a trimmed version with a 500: the store still says NOT_FOUND, not an outage.
    expect(await code(store.sign(keyId, message, { version: '1' }))).toBe('NOT_FOUND');
  });

  it("the README's minimal policy is enough for create, sign, rotate, jwks, list and delete", async () => {
    const policy = readmeTransitPolicy(mount);
    const token = await tokenWithPolicy(`phlow-transit-${Date.now().toString(36)}`, policy);
    const limited = create({ VAULT_TOKEN: token });
    const keyId = id('policy');
    const km = new KeyManager({ store: limited, rotationDelayMs: 0, rotationGracePeriodMs: 0 });
    try {
      await km.createKey(keyId);
      await km.sign(keyId, message);
      await km.rotateKeyPair(keyId, { revokePrevious: true });
      expect((await km.jwks()).keys.length).toBeGreaterThan(0);
      const denied = await vaultCli(['read', `${mount}/export/signing-key/${keyId}`]).catch(() => 'refused');
      expect(denied).toBe('refused');
      await km.deleteKeyPair(keyId);
      expect(await limited.getPublicKey(keyId)).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('a mount without Transit is INVALID_CONFIG naming the enable command, at start-up', async () => {
    const error = await provider
      .create({ mount: `none-${Date.now().toString(36)}`, env: storeEnv() })
      .catch((e: unknown) => e as Error);
    expect(isKeyStoreError(error, 'INVALID_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /^\[phlow\] \[vault_transit\] .*vault secrets enable -path=none-\S+ transit/,
    );
  });

  it('a non-ed25519 Transit key under a key id is UNSUPPORTED, not misread', async () => {
    const keyId = id('aes');
    await sys('POST', `${mount}/keys/${keyId}`, { type: 'aes256-gcm96' });
    expect(await code(store.getPublicKeyVersions(keyId))).toBe('UNSUPPORTED');
    await sys('POST', `${mount}/keys/${keyId}/config`, { deletion_allowed: true });
    await sys('DELETE', `${mount}/keys/${keyId}`);
  });
});
