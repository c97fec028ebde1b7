/**
 * Which object owns a version number: the one rule for the whole store. PKCS#11 has no create-if-absent, so
 * two processes rotating at once may each generate an object for the same version. The rotating process
 * checks after generating and destroys its object if it does not own the version; every reader (the published
 * versions, the current key, signing by version, retirement) uses the owner as well. With one rule nobody
 * publishes, signs with or reports an object that the race check gives up.
 *
 * The earlier object owns the version: creation time (ms), then the random part of its id, then key bytes,
 * an order every process computes alike from what it reads. A later object never takes a version from an
 * earlier one, so once a process has seen itself own a version it stays the owner, unless an object stamped
 * earlier shows up only afterwards (see the README: the check is best effort).
 */
import type { TokenKey } from './token.js';

/** Negative if `a` owns a version number that `b` also carries. */
export const ownsBefore = (a: TokenKey, b: TokenKey): number =>
  a.createdAt.getTime() - b.createdAt.getTime() ||
  Buffer.compare(a.id, b.id) ||
  Buffer.compare(a.publicKey, b.publicKey);

/** The owner of each version number among `keys` (one key id's objects), newest version first. */
export function owners(keys: readonly TokenKey[]): TokenKey[] {
  const byVersion = new Map<number, TokenKey>();
  for (const key of keys) {
    const held = byVersion.get(key.version);
    if (held === undefined || ownsBefore(key, held) < 0) byVersion.set(key.version, key);
  }
  return [...byVersion.values()].sort((a, b) => b.version - a.version);
}

/** The objects that own no version: each lost a race (its process destroys it, or retirement does). */
export function losers(keys: readonly TokenKey[]): TokenKey[] {
  const owning = new Set(owners(keys));
  return keys.filter((key) => !owning.has(key));
}
