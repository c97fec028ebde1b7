/**
 * `Content-Digest` (RFC 9530): the body's SHA-256 (or SHA-512) as a structured-fields dictionary
 * `sha-256=:<base64>:`. Signing writes sha-256; verifying accepts sha-256 and sha-512 and requires every
 * member it knows to match (unknown algorithms are ignored as the RFC says, but at least one known must be present).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpSigError } from './errors.js';
import { isInnerList, parseDictionary } from './structured-fields.js';

const HASHES: Readonly<Record<string, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/** The Content-Digest field value of `body` (sha-256). */
export function contentDigest(body: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

/** Throws DIGEST_MISMATCH unless `header` names a sha-256/sha-512 digest of `body` and every known one matches. */
export function checkContentDigest(header: string, body: Uint8Array): void {
  const dict = parseDictionary(header, 'the Content-Digest field');
  let known = 0;
  for (const [name, member] of dict) {
    const hash = HASHES[name];
    if (!hash) continue;
    known++;
    if (isInnerList(member) || !(member.value instanceof Uint8Array)) {
      throw new HttpSigError('DIGEST_MISMATCH', 'Content-Digest holds a member that is not a byte sequence');
    }
    const actual = createHash(hash).update(body).digest();
    const claimed = Buffer.from(member.value);
    if (claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) {
      throw new HttpSigError(
        'DIGEST_MISMATCH',
        'the body does not match its Content-Digest: it was changed in transit',
      );
    }
  }
  if (known === 0)
    throw new HttpSigError('DIGEST_MISMATCH', 'Content-Digest has no sha-256 or sha-512 member');
}
