// A full nonce store is NONCE_STORE_FULL, not REPLAYED: the request was not a replay, and the operator has to
// act (raise maxEntries, or use a shared store). Stores of one's own refuse with the same code, and the memory
// store refuses an expiry that would never let an entry count as a replay. Counts and codes, no timings.
import type { KeyManager } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryNonceStore,
  createRequestVerifier,
  HttpSigError,
  isHttpSigError,
  type NonceStore,
  signRequest,
} from '../src/index.js';
import { agentManager } from './helpers.js';

describe('memory nonce store: full', () => {
  it('refuses with NONCE_STORE_FULL (an HttpSigError saying what to do), not as a replay', () => {
    const store = createMemoryNonceStore({ maxEntries: 2, maxEntriesPerSigner: 2 });
    const until = Date.now() + 60_000;
    expect(store.remember('a', until, { signer: 'A' })).toBe(true);
    expect(store.remember('b', until, { signer: 'B' })).toBe(true);
    let refusal: unknown;
    try {
      store.remember('secret-nonce-c', until, { signer: 'C' });
    } catch (error) {
      refusal = error;
    }
    expect(isHttpSigError(refusal, 'NONCE_STORE_FULL')).toBe(true);
    const message = (refusal as Error).message;
    expect(message).toMatch(/^\[phlow\] \[httpsig\] /);
    expect(message).toMatch(/raise maxEntries/);
    expect(message).toMatch(/shared nonce store/);
    expect(message).not.toContain('secret-nonce-c');
    // Nothing was remembered for the refused key, and a nonce it holds is still a replay.
    expect(store.size).toBe(2);
    expect(store.remember('a', until, { signer: 'A' })).toBe(false);
  });

  it('with one signer whose share is the whole store (maxEntriesPerSigner: maxEntries), full is NONCE_STORE_FULL', () => {
    const store = createMemoryNonceStore({ maxEntries: 2, maxEntriesPerSigner: 2 });
    const until = Date.now() + 60_000;
    expect(store.remember('a1', until, { signer: 'A' })).toBe(true);
    expect(store.remember('a2', until, { signer: 'A' })).toBe(true);
    expect(() => store.remember('a3', until, { signer: 'A' })).toThrow(
      expect.objectContaining({ code: 'NONCE_STORE_FULL' }),
    );
  });
});

describe('memory nonce store: expiresAtMs', () => {
  it('a NaN, infinite or non-number expiry is INVALID_ARGUMENT and nothing is stored', () => {
    const store = createMemoryNonceStore({ maxEntries: 4 });
    const wrong: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '99999999999999',
      undefined,
    ];
    for (const expiresAtMs of wrong) {
      expect(() => store.remember('k n', expiresAtMs as number)).toThrow(
        expect.objectContaining({ name: 'HttpSigError', code: 'INVALID_ARGUMENT' }),
      );
      expect(() => store.remember('k n', expiresAtMs as number, { signer: 'A' })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(store.size).toBe(0);
    // The key was not taken by the refused calls: recorded now, and a replay after.
    const until = Date.now() + 60_000;
    expect(store.remember('k n', until)).toBe(true);
    expect(store.remember('k n', until)).toBe(false);
  });

  it('refuses a NaN expiry even for a key it already holds, which stays a replay', () => {
    const store = createMemoryNonceStore();
    const until = Date.now() + 60_000;
    expect(store.remember('k n', until)).toBe(true);
    expect(() => store.remember('k n', Number.NaN)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(store.remember('k n', until)).toBe(false);
  });
});

describe('verifier with a full nonce store', () => {
  let manager: KeyManager;
  beforeAll(async () => {
    manager = await agentManager();
  });
  afterAll(async () => {
    await manager.close();
  });

  const sign = (nonce?: string) =>
    signRequest(manager, 'agent', new Request('https://api.example/'), {
      agent: 'https://agent.example',
      ...(nonce !== undefined ? { nonce } : {}),
    });

  it('a new signature is NONCE_STORE_FULL (audited so), a replay is still REPLAYED', async () => {
    const codes: unknown[] = [];
    const verifier = createRequestVerifier({
      keys: { manager, keyId: 'agent' },
      nonceStore: createMemoryNonceStore({ maxEntries: 2, maxEntriesPerSigner: 2 }),
      tag: null,
      audit: {
        recordAudit: (_op, _keyId, _started, record) => {
          codes.push((record as { errorCode?: unknown }).errorCode);
        },
      },
    });
    const first = await sign();
    await expect(verifier.verify(first.clone())).resolves.toBeDefined();
    await expect(verifier.verify(await sign())).resolves.toBeDefined();
    const refusal = await verifier
      .verify(await sign('nonce-of-a-full-store'))
      .catch((error: unknown) => error);
    expect(refusal).toMatchObject({ name: 'HttpSigError', code: 'NONCE_STORE_FULL' });
    expect((refusal as Error).message).toMatch(/raise maxEntries/);
    expect((refusal as Error).message).not.toContain('nonce-of-a-full-store');
    await expect(verifier.verify(first.clone())).rejects.toMatchObject({ code: 'REPLAYED' });
    expect(codes).toEqual([undefined, undefined, 'NONCE_STORE_FULL', 'REPLAYED']);
    verifier.close();
  });

  it("a store of one's own refuses with HttpSigError('NONCE_STORE_FULL'): passed on as it is", async () => {
    const refusal = new HttpSigError('NONCE_STORE_FULL', 'the shared nonce store is full (raise its memory)');
    const full: NonceStore = {
      remember: async () => {
        throw refusal;
      },
    };
    const verifier = createRequestVerifier({
      keys: { manager, keyId: 'agent' },
      nonceStore: full,
      tag: null,
    });
    await expect(verifier.verify(await sign())).rejects.toBe(refusal);
    verifier.close();
  });
});
