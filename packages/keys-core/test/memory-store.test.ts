import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, KEYSTORE_CONTRACT_VERSION } from '../src/index.js';

describe('memory store: activation times (contract 1.2)', () => {
  it('declares activation and returns the stored activatesAt on pair and version reads', async () => {
    const store = createMemoryKeyStore();
    expect(store.capabilities.activation).toBe(true);
    const at = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
    await store.storeKeyPair('a', 'priv-1', 'pub-1');
    await store.storeKeyPair('a', 'priv-2', 'pub-2', { activatesAt: at });
    const pair = await store.getKeyPair?.('a');
    expect(pair?.activatesAt?.toISOString()).toBe('2030-01-02T03:04:05.678Z');
    const versions = (await store.getKeyVersions?.('a')) ?? [];
    expect(versions.map((v) => v.activatesAt?.toISOString())).toEqual([
      '2030-01-02T03:04:05.678Z',
      undefined,
    ]);
    // A caller mutating what it read does not change what is stored.
    pair?.activatesAt?.setTime(0);
    expect((await store.getKeyPair?.('a'))?.activatesAt?.getTime()).toBe(at.getTime());
  });

  it('refuses an invalid activatesAt and writes nothing', async () => {
    const store = createMemoryKeyStore();
    await expect(
      store.storeKeyPair('a', 'priv', 'pub', { activatesAt: new Date(Number.NaN) }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(await store.getKeyVersions?.('a')).toEqual([]);
  });

  it('contract 1.2 keeps major 1, so 1.0 and 1.1 adapters stay valid', () => {
    expect(KEYSTORE_CONTRACT_VERSION).toBe('1.3.0');
  });
});
