import { newEd25519Pems } from '@phlow/keys-core';
import { describe, expect, it, vi } from 'vitest';
import { createEnvKeyStore } from '../src/index.js';

// Core 1.0.0, which the peer range allows, has neither helper: the adapter must still load and work.
vi.mock('@phlow/keys-core', async (importOriginal) => {
  const {
    assertPublicKeyPem: _a,
    storedKeyPair: _s,
    ...older
  } = await importOriginal<Record<string, unknown>>();
  return older;
});

describe('environment store with an older core (no assertPublicKeyPem, no storedKeyPair)', () => {
  it('reads pairs and still refuses a private key in the public variable', async () => {
    const pems = newEd25519Pems();
    const store = createEnvKeyStore({
      onWarning: () => {},
      env: {
        PHLOW_PRIVATE_KEY_a: pems.privateKey,
        PHLOW_PUBLIC_KEY_a: pems.publicKey,
        PHLOW_PUBLIC_KEY_b: pems.privateKey,
      },
    });
    expect(await store.getKeyPair!('a')).toEqual({ privateKey: pems.privateKey, publicKey: pems.publicKey });
    const error = await store.getPublicKey('b').catch((e: unknown) => e as Error);
    expect(error).toMatchObject({
      code: 'INVALID_KEY',
      message: expect.stringContaining('PHLOW_PUBLIC_KEY_b'),
    });
  });
});
