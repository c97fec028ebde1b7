/**
 * The audited sign path returns a ready signature without awaiting it and awaits one that is not: either way
 * one `sign` event per signature (with the key and where it came from), a failure is a rejection with its own
 * event, and the signature is the key's.
 */
import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, type KeyAuditEvent, KeyManager, type KeyManagerEvent } from '../src/index.js';

const signs = (events: KeyManagerEvent[]) =>
  events.filter((e): e is KeyAuditEvent => e.type === 'audit' && e.operation === 'sign');

describe('audited sign path', () => {
  it('records one event per signature, from the cache (ready) or the store (awaited)', async () => {
    const store = createMemoryKeyStore();
    const events: KeyManagerEvent[] = [];
    const km = new KeyManager({ store, env: {}, onEvent: (e) => events.push(e) });
    const pair = await km.generateKeyPair('a');
    // A fresh manager reads the key from the store: the awaited path.
    const fresh: KeyManagerEvent[] = [];
    const other = new KeyManager({ store, env: {}, onEvent: (e) => fresh.push(e) });
    const first = other.sign('a', 'm1');
    expect(first).toBeInstanceOf(Promise);
    const sig1 = await first;
    expect(signs(fresh)).toEqual([
      expect.objectContaining({ outcome: 'success', kid: pair.kid, source: 'store' }),
    ]);
    // Then the cached key: the ready path, still a promise to the caller.
    const second = other.sign('a', 'm2');
    expect(second).toBeInstanceOf(Promise);
    const sig2 = await second;
    expect(signs(fresh)).toHaveLength(2);
    expect(signs(fresh)[1]).toMatchObject({ outcome: 'success', kid: pair.kid, source: 'cache' });
    expect(verify(null, Buffer.from('m1'), pair.publicKey, sig1)).toBe(true);
    expect(verify(null, Buffer.from('m2'), pair.publicKey, sig2)).toBe(true);
    // signDetailed goes the same way and names the same key.
    await expect(other.signDetailed('a', 'm3')).resolves.toMatchObject({ kid: pair.kid });
    expect(signs(fresh)).toHaveLength(3);
  });

  it('rejects (never throws) a signature it cannot make, with one failure event', async () => {
    const events: KeyManagerEvent[] = [];
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {}, onEvent: (e) => events.push(e) });
    const missing = km.sign('none', 'm');
    expect(missing).toBeInstanceOf(Promise);
    await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(signs(events)).toEqual([expect.objectContaining({ outcome: 'failure', errorCode: 'NOT_FOUND' })]);
  });
});
