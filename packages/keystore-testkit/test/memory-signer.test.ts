/**
 * The in-memory signer store through the whole conformance suite (the signer group runs, the exportable
 * groups skip visibly), and KeyManager's logic on a signer store: its guards and what it refuses.
 */
import { inspect } from 'node:util';
import { isKeyStoreError, type KeyAuditEvent, KeyManager, type KeyStore } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { createMemorySignerStore, runKeyStoreConformance } from '../src/index.js';

runKeyStoreConformance({ name: 'memory signer', create: () => createMemorySignerStore() });

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isKeyStoreError(e) ? e.code : String(e)),
  );

describe('KeyManager on a signer store', () => {
  it('refuses a store that declares signer without its methods', () => {
    const store = { ...createMemorySignerStore(), sign: undefined } as unknown as KeyStore;
    expect(() => new KeyManager({ store })).toThrow(/capabilities.signer/);
  });

  it('passes the asked algorithm to the store, and refuses a key of another type from a store that ignores it', async () => {
    const km = new KeyManager({ store: createMemorySignerStore(), rotationGracePeriodMs: 0 });
    expect(await code(km.createKey('p', { algorithm: 'ES256' }))).toBe('UNSUPPORTED');
    expect(await code(km.getPublicKeyPair('p'))).toBe('NOT_FOUND'); // the store created nothing
    expect((await km.createKey('e', { algorithm: 'EdDSA' })).alg).toBe('EdDSA');
    // A contract-1.1 adapter: createKey takes no options and makes its default (Ed25519) key.
    const inner = createMemorySignerStore();
    const older: KeyStore = { ...inner, createKey: (keyId: string) => inner.createKey(keyId) };
    const error = await new KeyManager({ store: older, rotationGracePeriodMs: 0 })
      .createKey('q', { algorithm: 'ES256' })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(isKeyStoreError(error, 'UNSUPPORTED')).toBe(true);
    expect(error?.message).toMatch(/made a EdDSA key for "q" where ES256 was asked/);
  });

  it('refuses key material and overwrite, points getKeyPair/refresh at getPublicKeyPair', async () => {
    const km = new KeyManager({ store: createMemorySignerStore(), rotationGracePeriodMs: 0 });
    await km.createKey('a');
    expect(await code(km.createKey('a'))).toBe('CONFLICT');
    expect(await code(km.createKey('a', { overwrite: true }))).toBe('UNSUPPORTED');
    expect(await code(km.storeKeyPair('b', 'x', 'y'))).toBe('UNSUPPORTED');
    const error = await km.refresh('a').catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).toMatch(/getPublicKeyPair\("a"\)/);
    const pair = await km.getPublicKeyPair('a');
    expect(JSON.stringify(pair)).not.toMatch(/privateKey/);
    expect(inspect(pair)).toMatch(/^PublicKeyPair/);
  });

  it('a signature the backend made with another key is INTEGRITY, not returned', async () => {
    const store = createMemorySignerStore();
    const km = new KeyManager({ store, rotationGracePeriodMs: 0 });
    await km.createKey('a');
    await km.createKey('b');
    const swapped = { ...store, sign: (_id: string, data: Uint8Array) => store.sign('b', data) };
    const liar = new KeyManager({ store: swapped, rotationGracePeriodMs: 0 });
    expect(await code(liar.sign('a', 'hello'))).toBe('INTEGRITY');
  });

  it('the signing version is pinned during the delay: the store is asked for that version', async () => {
    const store = createMemorySignerStore();
    const asked: (string | undefined)[] = [];
    const spy = {
      ...store,
      sign: (id: string, data: Uint8Array, o?: { version?: string }) => {
        asked.push(o?.version);
        return store.sign(id, data, o);
      },
    };
    const km = new KeyManager({ store: spy, rotationDelayMs: 600_000, rotationGracePeriodMs: 3_600_000 });
    await km.createKey('a');
    await km.sign('a', 'x');
    await km.rotateKeyPair('a');
    await km.sign('a', 'x');
    expect(asked).toEqual(['1', '1']);
  });

  it('a rotation retires, in the store, the versions whose grace period is over', async () => {
    let now = Date.now();
    const store = createMemorySignerStore({ now: () => now });
    const km = new KeyManager({
      store,
      rotationDelayMs: 0,
      rotationGracePeriodMs: 3_600_000,
      now: () => now,
    });
    await km.createKey('a');
    await km.rotateKeyPair('a');
    expect((await store.getPublicKeyVersions('a')).map((v) => v.version)).toEqual(['2', '1']);
    now += 2 * 3_600_000;
    await km.rotateKeyPair('a');
    // Version 1 was replaced more than the grace period ago; version 2 was replaced just now.
    expect((await store.getPublicKeyVersions('a')).map((v) => v.version)).toEqual(['3', '2']);
    expect(await code(store.sign('a', new Uint8Array(1), { version: '1' }))).toBe('NOT_FOUND');
  });

  it('records every key access in the audit trail; public reads are none, getKeyPair a refused one', async () => {
    const events: KeyAuditEvent[] = [];
    const km = new KeyManager({
      store: createMemorySignerStore(),
      rotationDelayMs: 0,
      rotationGracePeriodMs: 3_600_000,
      onEvent: (e) => {
        if (e.type === 'audit') events.push(e);
      },
    });
    const created = await km.createKey('a');
    await km.getPublicKeyPair('a');
    await km.rotationState('a');
    const key = await km.getSigningKey('a');
    const signature = await km.sign('a', 'hello');
    await km.signWithKey(key, 'hello');
    expect(await km.verify('a', 'hello', signature)).toBe(true);
    expect(await code(km.getKeyPair('a'))).toBe('UNSUPPORTED');
    expect(await code(km.refresh('a'))).toBe('UNSUPPORTED');
    const rotated = await km.rotateKeyPair('a');
    await km.deleteKeyPair('a');
    expect(events.map((e) => [e.operation, e.outcome, e.errorCode])).toEqual([
      ['generate', 'success', undefined],
      ['sign', 'success', undefined],
      ['sign', 'success', undefined],
      ['verify', 'success', undefined],
      ['read', 'failure', 'UNSUPPORTED'],
      ['read', 'failure', 'UNSUPPORTED'],
      ['rotate', 'success', undefined],
      ['delete', 'success', undefined],
    ]);
    expect(events[0]).toMatchObject({ kid: created.kid, version: '1', storeType: 'memory_signer' });
    expect(events[1]).toMatchObject({ kid: key.kid, version: '1' });
    expect(events[2]).toMatchObject({ kid: key.kid, version: '1' });
    expect(events[6]).toMatchObject({ kid: rotated.kid, rotation: 'staged' });
    expect(events.some((e) => e.private === true)).toBe(false);
  });

  it('rotateIfOlderThan: of 3 schedulers at once exactly one rotates, the others report rotated: false', async () => {
    let now = Date.now();
    const store = createMemorySignerStore({ now: () => now });
    const make = () =>
      new KeyManager({ store, rotationDelayMs: 0, rotationGracePeriodMs: 0, now: () => now });
    await make().createKey('a');
    now += 10_000;
    const results = await Promise.all([make(), make(), make()].map((km) => km.rotateIfOlderThan('a', 5_000)));
    expect(results.filter((r) => r.rotated).length).toBe(1);
    // Grace 0: the replaced version is retired by the rotation itself.
    expect((await store.getPublicKeyVersions('a')).map((v) => v.version)).toEqual(['2']);
  });
});
