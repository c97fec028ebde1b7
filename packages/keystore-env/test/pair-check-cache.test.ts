import * as core from '@phlow/keys-core';
import { describe, expect, it, vi } from 'vitest';
import { createEnvKeyStore } from '../src/index.js';

// Counts the pair checks the store makes (each is about a millisecond of OpenSSL parsing).
vi.mock('@phlow/keys-core', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@phlow/keys-core')>();
  return { ...actual, checkKeyPair: vi.fn(actual.checkKeyPair) };
});

describe('environment store: the pair check is cached per value', () => {
  it('checks unchanged variables once, and again when either changes', async () => {
    const check = vi.mocked(core.checkKeyPair);
    const a = core.newEd25519Pems();
    const b = core.newEd25519Pems();
    const env: Record<string, string> = {
      PHLOW_PRIVATE_KEY_a: a.privateKey,
      PHLOW_PUBLIC_KEY_a: a.publicKey,
    };
    const store = createEnvKeyStore({ env, onWarning: () => {} });
    for (let i = 0; i < 50; i++) expect((await store.getKeyPair!('a'))?.publicKey).toBe(a.publicKey);
    await store.getPrivateKey('a');
    await store.getPublicKey('a');
    expect(check).toHaveBeenCalledTimes(1);
    env.PHLOW_PUBLIC_KEY_a = b.publicKey;
    await expect(store.getKeyPair!('a')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.getKeyPair!('a')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(check).toHaveBeenCalledTimes(3); // a failed check is not cached
    env.PHLOW_PRIVATE_KEY_a = b.privateKey;
    await store.getKeyPair!('a');
    await store.getKeyPair!('a');
    expect(check).toHaveBeenCalledTimes(4);
  });
});
