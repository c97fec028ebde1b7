/**
 * Which pair owns a version number: the one order for the whole store. PKCS#11 has no create-if-absent, so
 * two processes rotating at once may each generate a pair for the same version. The rotating process checks
 * after stamping its pair (store.ts keepIfOwner) and steps back before a rival stamped earlier by this order;
 * every reader (the published versions, the current key, signing by version, retirement) picks the owner by
 * the same order among versions, so should two versions of one number ever exist (written by an earlier
 * release, or by hosts whose clocks disagree), everybody still agrees on one.
 *
 * The earlier pair owns the version: stamp (ms), then its id (whose random part breaks a tie), then key
 * bytes, an order every process computes alike from what it reads.
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
