import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../src/ed25519.js';
import { createMemoryKeyStore, KeyManager, KeyPair } from '../src/index.js';
import { ed25519PrivateKeyToPem, ed25519PublicKeyToPem } from '../src/pem.js';
import {
  type Ed25519BackendName,
  ed25519Backend,
  nativeEd25519Works,
  setEd25519Backend,
  signWith,
  verifyWith,
} from '../src/signer.js';
import vectors from './fixtures/ed25519-vectors.json' with { type: 'json' };

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const BACKENDS: Ed25519BackendName[] = ['node:crypto', 'noble'];
const RFC = vectors.rfc8032.tests;
// Verification needs only the public half; any valid private PEM fills the other.
const SOME_PRIVATE = ed25519PrivateKeyToPem(hex(RFC[0]!.secret));
const publicPair = (publicKey: string) =>
  new KeyPair('vector', SOME_PRIVATE, ed25519PublicKeyToPem(hex(publicKey)));
const CASES = [...vectors.wycheproof.tests, ...vectors.edgeCases.tests];

/** Runs `fn` with one implementation forced, then restores detection. */
function using<T>(backend: Ed25519BackendName, fn: () => T): T {
  setEd25519Backend(backend);
  try {
    return fn();
  } finally {
    setEd25519Backend();
  }
}

describe.each(BACKENDS)('Ed25519 through %s', (backend) => {
  for (const [i, v] of RFC.entries()) {
    it(`RFC 8032 TEST ${i + 1}: signature and verification`, () => {
      using(backend, () => {
        const pair = new KeyPair(
          'rfc',
          ed25519PrivateKeyToPem(hex(v.secret)),
          ed25519PublicKeyToPem(hex(v.publicKey)),
        );
        expect(ed25519Backend()).toBe(backend);
        expect(toHex(signWith(pair, hex(v.msg)))).toBe(v.sig);
        expect(verifyWith(pair, hex(v.msg), hex(v.sig))).toBe(true);
        const tampered = hex(v.sig);
        tampered[0]! ^= 1;
        expect(verifyWith(pair, hex(v.msg), tampered)).toBe(false);
      });
    });
  }

  for (const c of CASES) {
    const name = 'tcId' in c ? `Wycheproof tcId ${c.tcId} (${c.comment})` : c.comment;
    it(`${c.valid ? 'accepts' : 'refuses'}: ${name} [${c.publicKey.slice(0, 8)}]`, () => {
      using(backend, () => {
        expect(verifyWith(publicPair(c.publicKey), hex(c.msg), hex(c.sig))).toBe(c.valid);
      });
    });
  }

  it('refuses a signature that is not bytes, without throwing', () => {
    using(backend, () => {
      const v = RFC[0]!;
      const pair = publicPair(v.publicKey);
      for (const bad of [v.sig, null, undefined, 42, {}, [1, 2, 3]]) {
        expect(verifyWith(pair, hex(v.msg), bad as unknown as Uint8Array)).toBe(false);
      }
    });
  });
});

describe('both paths answer alike', () => {
  it('every fixture case and 40 random signatures with single-bit changes get the same answer on both', () => {
    const answers = (pair: KeyPair, msg: Uint8Array, sig: Uint8Array) =>
      BACKENDS.map((b) => using(b, () => verifyWith(pair, msg, sig)));
    for (const c of CASES) {
      expect(answers(publicPair(c.publicKey), hex(c.msg), hex(c.sig))).toEqual([c.valid, c.valid]);
    }
    for (let i = 0; i < 40; i++) {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const pair = new KeyPair(
        'r',
        ed25519PrivateKeyToPem(seed),
        ed25519PublicKeyToPem(ed25519PublicKey(seed)),
      );
      const msg = crypto.getRandomValues(new Uint8Array(i % 40));
      const sig = using('noble', () => signWith(pair, msg));
      expect(using('node:crypto', () => signWith(pair, msg))).toEqual(sig);
      const flipped = sig.slice();
      flipped[i % 64]! ^= 1 << (i % 8);
      expect(answers(pair, msg, sig)).toEqual([true, true]);
      expect(answers(pair, msg, flipped)).toEqual([false, false]);
    }
  }, 120_000); // pure-JavaScript Ed25519 on a loaded machine

  it('the public-key check matters: Node 20-24 alone accept the forged small-order and non-canonical cases, we refuse them everywhere', () => {
    const forged = vectors.edgeCases.tests.filter((c) => c.comment.includes('public key'));
    expect(forged.length).toBe(11);
    // Node 20, 22 and 24 (OpenSSL 3.0 to 3.5) accept all eleven; Node 26 refuses them itself. Our rule must
    // not depend on which runtime verifies, so both of our paths refuse them on every runtime.
    const runtimeAccepts = Number(process.versions.node.split('.')[0]) <= 24;
    for (const c of forged) {
      const key = createPublicKey(ed25519PublicKeyToPem(hex(c.publicKey)));
      if (runtimeAccepts) expect(nodeVerify(null, hex(c.msg), key, hex(c.sig))).toBe(true);
      for (const backend of BACKENDS) {
        using(backend, () => {
          expect(verifyWith(publicPair(c.publicKey), hex(c.msg), hex(c.sig))).toBe(false);
        });
      }
    }
  });

  it('detects native Ed25519 by trying it, and falls back to noble when the probe fails', () => {
    expect(nativeEd25519Works()).toBe(true);
    setEd25519Backend(undefined, () => false);
    expect(ed25519Backend()).toBe('noble');
    setEd25519Backend(undefined, () => true);
    expect(ed25519Backend()).toBe('node:crypto');
    setEd25519Backend();
  });

  it('the raw noble functions follow the same rule (RFC vectors, S >= L refused)', () => {
    const v = RFC[0]!;
    expect(toHex(ed25519PublicKey(hex(v.secret)))).toBe(v.publicKey);
    expect(toHex(ed25519Sign(hex(v.msg), hex(v.secret)))).toBe(v.sig);
    expect(ed25519Verify(hex(v.sig), hex(v.msg), hex(v.publicKey))).toBe(true);
  });

  it('encodes the RFC key as PEMs that node:crypto reads to the same key', () => {
    const v = RFC[0]!;
    const priv = createPrivateKey(ed25519PrivateKeyToPem(hex(v.secret)));
    const pub = createPublicKey(ed25519PublicKeyToPem(hex(v.publicKey)));
    expect(Buffer.from(priv.export({ format: 'jwk' }).d!, 'base64url').toString('hex')).toBe(v.secret);
    expect(Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url').toString('hex')).toBe(v.publicKey);
    expect(toHex(nodeSign(null, Buffer.alloc(0), priv))).toBe(v.sig);
  });
});

describe('interop with node:crypto', () => {
  it('a key generated here loads in node:crypto and its signatures verify there', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const pair = await km.generateKeyPair('agent');
    const signature = await km.sign('agent', 'hello phlow');
    expect(nodeVerify(null, Buffer.from('hello phlow'), createPublicKey(pair.publicKey), signature)).toBe(
      true,
    );
    const nodeSig = nodeSign(null, Buffer.from('from node'), createPrivateKey(pair.privateKey));
    expect(await km.verify('agent', 'from node', nodeSig)).toBe(true);
  });

  it('a key generated by node:crypto is stored, signs here, and verifies in node:crypto', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    await km.storeKeyPair(
      'node-key',
      privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const signature = await km.sign('node-key', 'payload');
    expect(nodeVerify(null, Buffer.from('payload'), publicKey, signature)).toBe(true);
    expect(await km.verify('node-key', 'payload', signature)).toBe(true);
    expect(await km.verify('node-key', 'other payload', signature)).toBe(false);
  });
});
