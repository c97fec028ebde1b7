// The nonce store's per-signer bound: one allowed signer that fills its share cannot lock another signer out,
// replays are still refused, and only a signature that verified takes a place. Two agents, each with its own
// keys and its directory on a real loopback server; counts of entries and refusals, no timings.
import type { KeyManager } from '@phlow/keys-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDirectoryHandler,
  createMemoryNonceStore,
  createRequestVerifier,
  DIRECTORY_PATH,
  isHttpSigError,
  type NonceStore,
  signRequest,
  toNodeListener,
} from '../src/index.js';
import { agentManager, loopbackPolicy, serve, serveDirectory, type TestServer } from './helpers.js';

describe('memory nonce store: per-signer bound', () => {
  it('a signer at maxEntriesPerSigner is refused (NONCE_QUOTA_EXCEEDED), another signer still gets in', () => {
    const store = createMemoryNonceStore({ maxEntries: 10, maxEntriesPerSigner: 3 });
    const until = Date.now() + 60_000;
    for (const n of ['a1', 'a2', 'a3']) expect(store.remember(n, until, { signer: 'A' })).toBe(true);
    let refusal: unknown;
    try {
      store.remember('secret-nonce-a4', until, { signer: 'A' });
    } catch (error) {
      refusal = error;
    }
    expect(isHttpSigError(refusal, 'NONCE_QUOTA_EXCEEDED')).toBe(true);
    expect((refusal as Error).message).toMatch(/maxEntriesPerSigner/);
    expect((refusal as Error).message).not.toContain('secret-nonce-a4');
    // A replay of a nonce A holds is still a replay, not a quota refusal.
    expect(store.remember('a1', until, { signer: 'A' })).toBe(false);
    for (const n of ['b1', 'b2', 'b3']) expect(store.remember(n, until, { signer: 'B' })).toBe(true);
    expect(store.size).toBe(6);
  });

  it("a signer's expired nonces free its share; the store-wide bound still holds", () => {
    let t = 0;
    const store = createMemoryNonceStore({ maxEntries: 4, maxEntriesPerSigner: 2, now: () => t });
    expect(store.remember('a1', 100, { signer: 'A' })).toBe(true);
    expect(store.remember('a2', 200, { signer: 'A' })).toBe(true);
    expect(() => store.remember('a3', 200, { signer: 'A' })).toThrow(
      expect.objectContaining({ code: 'NONCE_QUOTA_EXCEEDED' }),
    );
    t = 101;
    expect(store.remember('a3', 200, { signer: 'A' })).toBe(true);
    expect(store.size).toBe(2);
    // Nonces without a context count against maxEntries only.
    expect(store.remember('x1', 200)).toBe(true);
    expect(store.remember('x2', 200)).toBe(true);
    expect(() => store.remember('b1', 200, { signer: 'B' })).toThrow(/holds 4 unexpired nonces/);
    t = 201;
    expect(store.remember('b1', 300, { signer: 'B' })).toBe(true);
    expect(store.size).toBe(1);
  });

  it('defaults to a tenth of maxEntries; a bound outside 1..maxEntries is INVALID_ARGUMENT', () => {
    const store = createMemoryNonceStore({ maxEntries: 20 });
    const until = Date.now() + 60_000;
    expect(store.remember('a1', until, { signer: 'A' })).toBe(true);
    expect(store.remember('a2', until, { signer: 'A' })).toBe(true);
    expect(() => store.remember('a3', until, { signer: 'A' })).toThrow(
      expect.objectContaining({ code: 'NONCE_QUOTA_EXCEEDED' }),
    );
    for (const maxEntriesPerSigner of [0, Number.NaN, 1.5, 21]) {
      expect(() => createMemoryNonceStore({ maxEntries: 20, maxEntriesPerSigner })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('verifier: one signer filling its share does not stop another', () => {
  let alice: KeyManager;
  let bob: KeyManager;
  let aliceDirectory: TestServer;
  let bobDirectory: TestServer;
  beforeAll(async () => {
    alice = await agentManager();
    bob = await agentManager();
    aliceDirectory = await serveDirectory(alice);
    bobDirectory = await serveDirectory(bob);
  });
  afterAll(async () => {
    await aliceDirectory.close();
    await bobDirectory.close();
    await alice.close();
    await bob.close();
  });

  const sign = (manager: KeyManager, agent: string, nonce?: string) =>
    signRequest(manager, 'agent', new Request('https://api.example/'), {
      agent,
      ...(nonce !== undefined ? { nonce } : {}),
    });

  /** A verifier that fetches the directories of both agents. */
  const verifierOfBoth = (nonceStore: NonceStore) =>
    createRequestVerifier({
      directory: loopbackPolicy(aliceDirectory.origin, {
        allowedOrigins: [aliceDirectory.origin, bobDirectory.origin],
      }),
      nonceStore,
    });

  it('alice at maxEntriesPerSigner is NONCE_QUOTA_EXCEEDED; bob verifies; replays are REPLAYED', async () => {
    const nonceStore = createMemoryNonceStore({ maxEntries: 8, maxEntriesPerSigner: 3 });
    const verifier = verifierOfBoth(nonceStore);
    try {
      const first = await sign(alice, aliceDirectory.origin);
      await expect(verifier.verify(first.clone())).resolves.toMatchObject({ keyid: expect.any(String) });
      for (let i = 0; i < 2; i++) {
        await expect(verifier.verify(await sign(alice, aliceDirectory.origin))).resolves.toBeDefined();
      }
      expect(nonceStore.size).toBe(3);
      const over = await sign(alice, aliceDirectory.origin, 'alice-nonce-over-quota');
      const refusal = await verifier.verify(over).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'NONCE_QUOTA_EXCEEDED' });
      expect((refusal as Error).message).not.toContain('alice-nonce-over-quota');
      // A replay of one of alice's is still REPLAYED.
      await expect(verifier.verify(first.clone())).rejects.toMatchObject({ code: 'REPLAYED' });
      // Bob gets his own share, in full.
      for (let i = 0; i < 3; i++) {
        await expect(verifier.verify(await sign(bob, bobDirectory.origin))).resolves.toBeDefined();
      }
      await expect(verifier.verify(await sign(bob, bobDirectory.origin))).rejects.toMatchObject({
        code: 'NONCE_QUOTA_EXCEEDED',
      });
      expect(nonceStore.size).toBe(6);
    } finally {
      verifier.close();
    }
  });

  it("requests that do not verify take no place of the signer they name (alice signing as bob's agent)", async () => {
    const nonceStore = createMemoryNonceStore({ maxEntries: 8, maxEntriesPerSigner: 2 });
    const verifier = verifierOfBoth(nonceStore);
    try {
      for (let i = 0; i < 5; i++) {
        // Alice's key, bob's directory named: the keyid is unknown there, nothing is remembered.
        const forged = await sign(alice, bobDirectory.origin);
        await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
      }
      expect(nonceStore.size).toBe(0);
      for (let i = 0; i < 2; i++) {
        await expect(verifier.verify(await sign(bob, bobDirectory.origin))).resolves.toBeDefined();
      }
      expect(nonceStore.size).toBe(2);
    } finally {
      verifier.close();
    }
  });

  it('local keys: each key id is a signer of its own', async () => {
    const nonceStore = createMemoryNonceStore({ maxEntries: 8, maxEntriesPerSigner: 1 });
    const manager = await agentManager();
    await manager.generateKeyPair('other');
    const verifier = createRequestVerifier({
      keys: { manager, keyId: (agent) => (agent?.includes('other.example') ? 'other' : 'agent') },
      nonceStore,
      tag: null,
    });
    const signAs = (keyId: string, agent: string) =>
      signRequest(manager, keyId, new Request('https://api.example/'), { agent });
    await expect(verifier.verify(await signAs('agent', 'https://agent.example'))).resolves.toBeDefined();
    await expect(verifier.verify(await signAs('agent', 'https://agent.example'))).rejects.toMatchObject({
      code: 'NONCE_QUOTA_EXCEEDED',
    });
    await expect(verifier.verify(await signAs('other', 'https://other.example'))).resolves.toBeDefined();
    expect(nonceStore.size).toBe(2);
    await manager.close();
  });

  it('two tenants whose directories one platform origin serves each have a share of their own', async () => {
    const tenantA = await agentManager();
    const tenantB = await agentManager();
    const handlers = {
      a: createDirectoryHandler(tenantA, { keyIds: ['agent'], maxAgeSeconds: 300 }),
      b: createDirectoryHandler(tenantB, { keyIds: ['agent'], maxAgeSeconds: 300 }),
    };
    let origin = '';
    // One origin: tenant a's directory at the well-known path, tenant b's under /b/ (rewritten to it).
    const platform = await serve((req, res) => {
      const b = req.url?.startsWith('/b/') === true;
      if (b) req.url = req.url!.slice(2);
      toNodeListener(b ? handlers.b : handlers.a, origin)(req, res);
    });
    origin = platform.origin;
    const directoryB = `${origin}/b${DIRECTORY_PATH}`;
    const nonceStore = createMemoryNonceStore({ maxEntries: 8, maxEntriesPerSigner: 2 });
    const verifier = createRequestVerifier({ directory: loopbackPolicy(origin), nonceStore });
    try {
      for (let i = 0; i < 2; i++) {
        await expect(verifier.verify(await sign(tenantA, origin))).resolves.toBeDefined();
      }
      await expect(verifier.verify(await sign(tenantA, origin))).rejects.toMatchObject({
        code: 'NONCE_QUOTA_EXCEEDED',
      });
      // Tenant b, same origin, its own directory: not locked out by tenant a.
      for (let i = 0; i < 2; i++) {
        await expect(verifier.verify(await sign(tenantB, directoryB))).resolves.toBeDefined();
      }
      expect(nonceStore.size).toBe(4);
    } finally {
      verifier.close();
      await platform.close();
      await tenantA.close();
      await tenantB.close();
    }
  });
});
