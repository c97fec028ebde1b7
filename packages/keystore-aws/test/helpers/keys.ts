/** Key material and ids for the tests: fresh node:crypto PEMs and ids no other run uses. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface PemPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function ed25519Pems(): PemPair {
  return generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

export function freshId(label: string): string {
  return `aws-${label}-${randomBytes(5).toString('hex')}`;
}

/** A line of the base64 body of a PEM: what must never appear in an error. */
export function pemBody(pem: string): string {
  return pem.split('\n')[1] ?? pem;
}
