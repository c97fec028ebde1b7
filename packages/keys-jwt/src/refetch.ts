/**
 * Refetch on an unknown `kid`, at most once per cooldown per issuer, as jose's remote JWK Set does
 * (panva/jose src/jwks/remote.ts): a key rotated in by another process is found at once, while a stream of
 * tokens with made-up kids costs one store read per cooldown, not one per token. Concurrent refetches of
 * one issuer share a single read.
 */
import type { JwtKeys } from './keys.js';

/** Default time between two refetches of one issuer: 30 s. */
export const DEFAULT_REFETCH_COOLDOWN_MS = 30_000;

// Issuers remembered per manager; ids reach this map only after the store found them, so it stays small,
// and the bound is a backstop.
const MAX_TRACKED_ISSUERS = 10_000;

interface Refetch {
  at: number;
  pending: Promise<void> | undefined;
}

const byManager = new WeakMap<object, Map<string, Refetch>>();

/**
 * Re-reads `keyId` from the store unless that happened less than `cooldownMs` ago. Resolves true when this
 * call (or one it joined) read the store, false when the cooldown held it back.
 */
export async function refetchOnce(
  keys: JwtKeys,
  keyId: string,
  cooldownMs: number,
  now: () => number,
): Promise<boolean> {
  let issuers = byManager.get(keys);
  if (!issuers) {
    issuers = new Map();
    byManager.set(keys, issuers);
  }
  const last = issuers.get(keyId);
  if (last?.pending) {
    await last.pending;
    return true;
  }
  if (last && now() - last.at < cooldownMs) return false;
  if (!last && issuers.size >= MAX_TRACKED_ISSUERS) {
    const oldest = issuers.keys().next().value;
    if (oldest !== undefined) issuers.delete(oldest);
  }
  const state: Refetch = { at: now(), pending: undefined };
  // A public read (no private key handed out, works on a signer store) that replaces the cached versions.
  state.pending = keys
    .getVerificationKeys(keyId, { forceFetch: true })
    .then(() => undefined)
    .finally(() => {
      state.pending = undefined;
    });
  issuers.delete(keyId);
  issuers.set(keyId, state);
  await state.pending;
  return true;
}
