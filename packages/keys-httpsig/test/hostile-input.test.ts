// Hostile header input: the structured-field parser and the verifier answer every malformed header with a
// typed refusal (never another exception, never a hang), and the in-memory nonce store is bounded and fails
// closed.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryNonceStore, createRequestVerifier, isHttpSigError } from '../src/index.js';
import { parseDictionary } from '../src/structured-fields.js';

const ALPHABET = 'sig1=();"\\:, \t*-.?0123456789abcAZ+/=@';
function noise(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

describe('hostile headers', () => {
  it('2,000 random Signature-Input values parse or are MALFORMED/DUPLICATE_LABEL, nothing else', () => {
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      try {
        parseDictionary(noise(1 + (i % 120)), 'Signature-Input', { onDuplicate: () => {} });
      } catch (error) {
        expect(isHttpSigError(error, 'MALFORMED')).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });

  it('random signature headers on a request are refused with a typed code, and nothing is fetched', async () => {
    let factoryCalls = 0;
    const verifier = createRequestVerifier({
      directory: {
        allowedOrigins: ['https://agent.example'],
        keySetFactory: () => {
          factoryCalls++;
          throw new Error('no fetch expected');
        },
      },
    });
    for (let i = 0; i < 300; i++) {
      const headers = new Headers({
        'signature-input': `sig1=${noise(40)}`,
        signature: `sig1=:${randomBytes(64).toString('base64')}:`,
        'signature-agent': noise(20).replace(/[\r\n]/g, ''),
      });
      const error = await verifier.verify(new Request('https://api.example/', { headers })).catch((e) => e);
      expect(isHttpSigError(error)).toBe(true);
    }
    expect(factoryCalls).toBe(0);
    verifier.close();
  });

  it('a header over 8 KiB is refused before parsing', async () => {
    const verifier = createRequestVerifier({ directory: { allowedOrigins: [] } });
    const headers = new Headers({
      'signature-input': `sig1=("@authority");keyid="${'a'.repeat(9000)}"`,
      signature: 'sig1=:AA==:',
    });
    await expect(verifier.verify(new Request('https://api.example/', { headers }))).rejects.toMatchObject({
      code: 'MALFORMED',
    });
    verifier.close();
  });
});

describe('memory nonce store', () => {
  it('refuses a nonce seen before until it expires, then accepts it again', () => {
    let t = 0;
    const store = createMemoryNonceStore({ now: () => t });
    expect(store.remember('k n', 1000)).toBe(true);
    expect(store.remember('k n', 1000)).toBe(false);
    t = 1001;
    expect(store.remember('k n', 2000)).toBe(true);
  });

  it('is bounded: when full of unexpired nonces it refuses (fails closed); expired ones make room', () => {
    let t = 0;
    const store = createMemoryNonceStore({ maxEntries: 3, now: () => t });
    for (const n of ['a', 'b', 'c']) expect(store.remember(n, 100)).toBe(true);
    expect(() => store.remember('d', 100)).toThrow(
      expect.objectContaining({ name: 'HttpSigError', code: 'NONCE_STORE_FULL' }),
    );
    expect(store.size).toBe(3);
    t = 101;
    expect(store.remember('d', 200)).toBe(true);
    expect(store.size).toBe(1);
  });
});
