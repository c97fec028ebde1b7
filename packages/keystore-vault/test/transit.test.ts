/**
 * The Vault Transit signer store against the real Vault server (tooling/services/with-services.sh): the
 * testkit's signer group, then what is Transit's own: keys are non-exportable (Vault itself refuses to
 * export them), retirement trims them out of Vault, the README's minimal policy is enough, and a missing
 * mount is a clear INVALID_CONFIG.
 */
import { createPublicKey, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { isKeyStoreError, KeyManager } from '@phlow/keys-core';
import { runKeyStoreConformance } from '@phlow/keystore-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import provider, { createVaultTransitKeyStore, type VaultTransitKeyStore } from '../src/transit.js';
import { storeEnv, sys, tokenWithPolicy, uid, vaultCli } from './helpers/vault.js';

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
  });

  it('sign, verify with node:crypto and the JWK from jwks(), rotate, grace, retirement trims Vault', async () => {
    const keyId = id('flow');
    const graceMs = 3_600_000;
    const km = new KeyManager({
      store,
      rotationDelayMs: 0,
      rotationGracePeriodMs: graceMs,
      cache: { ttlMs: 0 },
    });
    await km.createKey(keyId);
    const before = await km.sign(keyId, message);
    const [jwk] = (await km.jwks([keyId])).keys;
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(verify(null, message, publicKey, before)).toBe(true);

    const rotated = await km.rotateKeyPair(keyId);
    const after = await km.sign(keyId, message);
    expect(verify(null, message, publicKey, after), 'delay 0: the new key signs').toBe(false);
    expect(verify(null, message, createPublicKey(rotated.keyPair.publicKey), after)).toBe(true);
    expect(await km.verify(keyId, message, before), 'in grace').toBe(true);
    const later = new KeyManager({
      store,
      rotationDelayMs: 0,
      rotationGracePeriodMs: graceMs,
      now: () => Date.now() + graceMs + 60_000,
    });
    expect(await later.verify(keyId, message, before), 'after the grace period').toBe(false);

    await km.rotateKeyPair(keyId, { revokePrevious: true });
    const key = (await sys('GET', `${mount}/keys/${keyId}`)).data;
    expect(Object.keys(key.keys), 'older versions trimmed out of Vault').toEqual(['3']);
    expect(key.min_available_version).toBe(3);
    expect(await code(store.sign(keyId, message, { version: '1' }))).toBe('NOT_FOUND');
  });

  it('no read path, error or printout holds a private key', async () => {
    const keyId = id('secret');
    await store.createKey(keyId);
    const km = new KeyManager({ store, rotationGracePeriodMs: 0 });
    const outcomes: unknown[] = [];
    for (const read of [
      () => store.getPrivateKey(keyId),
      () => store.getPublicKey(keyId),
      () => store.getPublicKeyVersions(keyId),
      () => store.storeKeyPair(keyId, 'x', 'y'),
      () => km.getKeyPair(keyId),
      () => km.refresh(keyId),
      () => km.getPublicKeyPair(keyId),
      () => km.rotationState(keyId),
      () => km.jwks([keyId]),
      () => km.getSigningKey(keyId),
    ]) {
      outcomes.push(await read().catch((e: unknown) => e));
    }
    const printed = outcomes
      .map(
        (o) =>
          `${JSON.stringify(o)}\n${inspect(o, { depth: 10, showHidden: true })}\n${(o as Error)?.stack ?? ''}`,
      )
      .join('\n');
    expect(printed).not.toMatch(/PRIVATE KEY|"d":/);
    expect(String((outcomes[0] as Error).message)).toMatch(/never leaves Vault Transit/);
  });

  it("the README's minimal policy is enough for create, sign, rotate, jwks, list and delete", async () => {
    const policy = `
path "${mount}/keys" { capabilities = ["list"] }
path "${mount}/keys/*" { capabilities = ["read", "create", "update", "delete"] }
path "${mount}/sign/*" { capabilities = ["update"] }
`;
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
