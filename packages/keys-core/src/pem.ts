/**
 * PEM encoding of Ed25519 keys, and the one check that a stored pair is sound. (P-256 and RSA pairs are made
 * by node:crypto, already as PEM: see algorithms.ts, which also decides which parsed keys are accepted.)
 *
 * New keys are written as PKCS#8 (private) and SubjectPublicKeyInfo (public) PEM, the forms OpenSSL,
 * node:crypto, Python `cryptography` and `jose` read. Parsing and the "does this public key belong to this
 * private key" check use node:crypto, because stores must keep accepting the RSA PEMs the Python Phlow wrote,
 * and node:crypto parses every key type OpenSSL does. Nothing here ever puts key bytes into an error.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyStoreError } from './errors.js';
import { publicPemProblem } from './public-pem.js';

// DER prefixes of the fixed-size Ed25519 structures (RFC 8410): OID 1.3.101.112.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function ed25519PrivateKeyToPem(seed: Uint8Array): string {
  const der = concat(PKCS8_ED25519_PREFIX, seed);
  try {
    return toPem('PRIVATE KEY', der);
  } finally {
    der.fill(0);
  }
}

export function ed25519PublicKeyToPem(publicKey: Uint8Array): string {
  return toPem('PUBLIC KEY', concat(SPKI_ED25519_PREFIX, publicKey));
}

/** The key algorithm of a parsed key: `ed25519`, `rsa`, `ec`, ... (node:crypto's asymmetricKeyType). */
export type KeyType = string;

function invalid(message: string, keyId?: string): KeyStoreError {
  return new KeyStoreError('INVALID_KEY', message, { keyId });
}

export function parsePrivateKey(pem: string, keyId?: string): KeyObject {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) {
    throw invalid(
      `the private key${keyId ? ` of "${keyId}"` : ''} is not a PEM string (expected "-----BEGIN PRIVATE KEY-----")`,
      keyId,
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The cause is dropped on purpose: parser messages can quote the input.
    throw invalid(
      `the private key${keyId ? ` of "${keyId}"` : ''} does not parse as an unencrypted PEM private key`,
      keyId,
    );
  }
}

/**
 * Throws INVALID_KEY unless `pem` is one public key PEM and nothing else: never a private key, never a text
 * that holds one (see public-pem.ts). Plain code, no OpenSSL parse, so it is cheap enough for every read.
 * `hint` is the sentence that says what to do; the value itself is never echoed.
 */
export function assertPublicKeyPem(
  pem: unknown,
  keyId?: string,
  options: { storeType?: string; hint?: string } = {},
): string {
  const problem = publicPemProblem(pem);
  if (problem === undefined) return pem as string;
  const of = keyId ? ` of "${keyId}"` : '';
  const hint = options.hint ?? 'pass the public half, the "-----BEGIN PUBLIC KEY-----" PEM';
  throw new KeyStoreError(
    'INVALID_KEY',
    problem === 'private'
      ? `the public key${of} is a private key or holds one, so it is refused and never printed: ${hint}`
      : `the public key${of} is not one PEM public key (a single "-----BEGIN PUBLIC KEY-----" block): ${hint}`,
    { keyId, storeType: options.storeType },
  );
}

export function parsePublicKey(pem: string, keyId?: string): KeyObject {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) {
    throw invalid(
      `the public key${keyId ? ` of "${keyId}"` : ''} is not a PEM string (expected "-----BEGIN PUBLIC KEY-----")`,
      keyId,
    );
  }
  // Before node:crypto: createPublicKey derives a public key from private input and would accept it.
  assertPublicKeyPem(pem, keyId);
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (key.type !== 'public') throw new Error('not a public key');
    return key;
  } catch {
    throw invalid(`the public key${keyId ? ` of "${keyId}"` : ''} does not parse as a PEM public key`, keyId);
  }
}

/**
 * Checks that both PEMs parse and that the public key belongs to the private key. Returns the key type.
 * Any key type node:crypto reads is accepted (Ed25519 for new keys, RSA for keys from older deployments).
 */
export function checkKeyPair(privateKeyPem: string, publicKeyPem: string, keyId?: string): KeyType {
  const priv = parsePrivateKey(privateKeyPem, keyId);
  const pub = parsePublicKey(publicKeyPem, keyId);
  const derived = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  const given = pub.export({ format: 'der', type: 'spki' });
  if (!derived.equals(given)) {
    throw invalid(
      `the public key${keyId ? ` of "${keyId}"` : ''} does not belong to the private key: store the matching pair`,
      keyId,
    );
  }
  return priv.asymmetricKeyType ?? 'unknown';
}
