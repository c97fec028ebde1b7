/**
 * Do two stored pairs hold the same keys? Compared as DER, not as text: stores may re-wrap a PEM (line
 * lengths, CRLF, a trailing newline, the environment store's `\n` escapes) without changing the key.
 * A PEM that does not parse is compared as text, so a damaged copy is never taken for a good one.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';

interface Pems {
  readonly privateKey: string;
  readonly publicKey: string;
}

function der(pem: string, kind: 'private' | 'public'): Buffer | string {
  try {
    return kind === 'private'
      ? createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' })
      : createPublicKey(pem).export({ format: 'der', type: 'spki' });
  } catch {
    return pem;
  }
}

function same(a: Buffer | string, b: Buffer | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.equals(b);
}

export function sameKeyPair(a: Pems, b: Pems): boolean {
  return (
    same(der(a.publicKey, 'public'), der(b.publicKey, 'public')) &&
    same(der(a.privateKey, 'private'), der(b.privateKey, 'private'))
  );
}
