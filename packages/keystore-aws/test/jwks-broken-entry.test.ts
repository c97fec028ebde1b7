// A JWK Set degrades per key on Secrets Manager (moto; issue 19, item 3): a secret whose public_key is not a
// PEM is left out and reported as a `skipped` event naming the id and the code, never the content; the
// other keys are served, by name and through the listing.
import { KeyManager, type KeyManagerEvent } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { ed25519Pems, freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';

requireMoto();
const store = createAwsKeyStore();
const created: string[] = [];
afterAll(async () => {
  for (const keyId of created) await store.deleteKeyPair(keyId, { destroy: true }).catch(() => {});
  await store.close();
});
const fresh = (label: string) => {
  const keyId = freshId(label);
  created.push(keyId);
  return keyId;
};

describe('Secrets Manager: one broken entry', () => {
  it('a public_key that is not a PEM is left out, reported by id and code; the good id is served', async () => {
    const skipped: KeyManagerEvent[] = [];
    const keys = new KeyManager({
      store,
      env: {},
      onEvent: (e) => {
        if (e.type === 'skipped') skipped.push(e);
      },
    });
    const good = fresh('jwks-good');
    const bad = fresh('jwks-bad');
    const goodKid = (await keys.generateKeyPair(good)).kid;
    await store.storeKeyPair(bad, ed25519Pems().privateKey, 'not a pem at all');
    expect((await keys.jwks([good, bad])).keys.map((k) => k.kid)).toEqual([goodKid]);
    expect(skipped).toEqual([{ type: 'skipped', keyId: bad, code: 'INVALID_KEY' }]);
    // Through the listing too (other tests' ids may be listed beside them): the good key served, the bad left out.
    const listed = await keys.jwks();
    expect(listed.keys.map((k) => k.kid)).toContain(goodKid);
    expect(skipped.filter((e) => e.type === 'skipped' && e.keyId === bad)).toHaveLength(2);
    expect(JSON.stringify(skipped)).not.toMatch(/BEGIN|not a pem/i);
  });
});
