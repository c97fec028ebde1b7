// A JWK Set degrades per key on the real Vault (issue 19, item 3): one broken entry (a KV public_key that
// is not a PEM, an AES key on a shared Transit mount) is left out and reported as a `skipped` event naming the
// id and the code, never the content; the other keys are served. A revoked token is an ACCESS_DENIED at the
// next fresh read, never a stale set (keys-jwt's handler then answers 503: its jwks-degrade test).
import { generateKeyPairSync } from 'node:crypto';
import { KeyManager, type KeyManagerEvent } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultTransitKeyStore } from '../src/transit.js';
import { createTestStore, storeEnv, sys, tokenWithPolicy, trackedIds, uid } from './helpers/vault.js';

function watched(store: ConstructorParameters<typeof KeyManager>[0]['store']) {
  const skipped: KeyManagerEvent[] = [];
  const keys = new KeyManager({
    store,
    env: {},
    onEvent: (e) => {
      if (e.type === 'skipped') skipped.push(e);
    },
  });
  return { keys, skipped };
}

describe('Vault KV: one broken entry', () => {
  const store = createTestStore();
  const id = trackedIds(store);

  it('a public_key that is not a PEM is left out, reported by id and code; the good id is served', async () => {
    const good = id('jwks-good');
    const bad = id('jwks-bad');
    const { keys, skipped } = watched(store);
    const goodKid = (await keys.generateKeyPair(good)).kid;
    const { privateKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await store.storeKeyPair(bad, privateKey as unknown as string, 'not a pem at all');
    const set = await keys.jwks([good, bad]);
    expect(set.keys.map((k) => k.kid)).toEqual([goodKid]);
    expect(skipped).toEqual([{ type: 'skipped', keyId: bad, code: 'INVALID_KEY' }]);
    expect(JSON.stringify(skipped)).not.toMatch(/BEGIN|not a pem/i);
  });

  it('a revoked token: the next fresh read is ACCESS_DENIED, not the last set', async () => {
    const keyId = id('jwks-revoked');
    await watched(store).keys.generateKeyPair(keyId);
    const suffix = uid('pol');
    const token = await tokenWithPolicy(
      `phlow-jwks-${suffix}`,
      'path "phlow/data/keys/*" { capabilities = ["read"] }\npath "phlow/metadata/keys/*" { capabilities = ["read", "list"] }',
    );
    const reader = createTestStore({ env: { VAULT_TOKEN: token } });
    const { keys } = watched(reader);
    expect((await keys.jwks([keyId])).keys).toHaveLength(1);
    await sys('POST', 'auth/token/revoke', { token });
    await expect(keys.jwks([keyId], { maxAgeMs: 0 })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await reader.close();
    await sys('DELETE', `sys/policies/acl/phlow-jwks-${suffix}`);
  });
});

describe('Vault Transit: an AES key on the shared mount', () => {
  const mount = `transit-jwks-${Date.now().toString(36)}`;
  beforeAll(async () => {
    await sys('POST', `sys/mounts/${mount}`, { type: 'transit' });
  });
  afterAll(async () => {
    await sys('DELETE', `sys/mounts/${mount}`);
  });

  it('is left out of the listed JWK Set and reported; the Ed25519 key is served', async () => {
    const store = createVaultTransitKeyStore({ mount, onWarning: () => {}, env: storeEnv() });
    const { keys, skipped } = watched(store);
    const good = uid('agent');
    const aes = uid('aes');
    const goodKid = (await keys.createKey(good)).kid;
    await sys('POST', `${mount}/keys/${aes}`, { type: 'aes256-gcm96' });
    const set = await keys.jwks();
    expect(set.keys.map((k) => k.kid)).toEqual([goodKid]);
    expect(skipped.map((e) => e.type === 'skipped' && e.keyId)).toEqual([aes]);
    await store.close();
  });
});
