import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore, newEd25519Pems, storedKeyPair } from '../src/index.js';

const pems = newEd25519Pems();
const secretLines = pems.privateKey.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'));

/** Every way a record usually ends up printed. */
function printed(value: unknown): string {
  return [
    JSON.stringify(value),
    inspect(value),
    inspect(value, { depth: 5, showHidden: true }),
    String(value),
    `${value}`,
    format('%o %O %j %s', value, value, value, value),
    JSON.stringify([value]),
  ].join('\n');
}

describe('storedKeyPair: store records redact their private half when printed', () => {
  it('memory store: getKeyPair and getKeyVersions print no private key, and keep their data', async () => {
    const store = createMemoryKeyStore();
    await store.storeKeyPair('a', pems.privateKey, pems.publicKey);
    await store.storeKeyPair('a', pems.privateKey, pems.publicKey);
    const pair = await store.getKeyPair!('a');
    const versions = await store.getKeyVersions!('a');
    for (const value of [pair, versions, versions[0], { nested: { pair } }]) {
      const text = printed(value);
      for (const line of secretLines) expect(text).not.toContain(line);
      expect(text).toContain('[redacted]');
    }
    expect(pair?.privateKey).toBe(pems.privateKey);
    expect({ ...pair }.privateKey).toBe(pems.privateKey);
    expect(structuredClone(versions[1])?.privateKey).toBe(pems.privateKey);
    expect(pair).toEqual({
      privateKey: pems.privateKey,
      publicKey: pems.publicKey,
      version: '2',
      createdAt: expect.any(Date),
    });
    expect(Object.keys(pair!)).toEqual(['privateKey', 'publicKey', 'version', 'createdAt']);
    expect(JSON.parse(JSON.stringify(versions[1]))).toMatchObject({
      current: false,
      version: '1',
      publicKey: pems.publicKey,
    });
  });

  it('redacts a "public" half that holds a private key too, and copies a frozen record instead of failing', () => {
    const bad = storedKeyPair(Object.freeze({ privateKey: pems.privateKey, publicKey: pems.privateKey }));
    for (const line of secretLines) expect(printed(bad)).not.toContain(line);
    expect(bad.privateKey).toBe(pems.privateKey);
  });
});
