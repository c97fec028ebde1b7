/**
 * Writing a key pair: every write is "stage, then promote", so there is one write path whose outcome is
 * decided by a single atomic call.
 *
 * 1. The new value is written as its own version, labelled AWSPENDING only, with a ClientRequestToken (which
 *    becomes its VersionId): the SDK resends the same token when it retries, so a retried write never makes
 *    a second version. A new id is created with CreateSecret, same token.
 * 2. UpdateSecretVersionStage moves AWSCURRENT to it from the version expected to hold it; Secrets Manager
 *    refuses when that version no longer does, so of concurrent writers exactly one wins and the others get
 *    CONFLICT (compare-and-set), and AWSPREVIOUS follows to the replaced key (the grace-period key).
 * Without `expectedVersion` the "expected" version is simply the one current a moment ago, retried if it
 * moved. A plain PutSecretValue would do for that case on AWS; it is not used because moto stops tracking
 * AWSCURRENT correctly once plain puts and stage moves are mixed on one secret (see README).
 *
 * Before AWSCURRENT moves, the version about to lose AWSPREVIOUS gets a grace label (grace.ts), so that several
 * rotations within one grace period keep every key that should still verify.
 *
 * An id scheduled for deletion counts as absent: writing it restores the secret and makes the new value
 * current, then takes AWSPREVIOUS and the grace labels off the deleted keys so that they never verify again
 * (they stay in the secret's history, unlabelled).
 */
import { randomUUID } from 'node:crypto';
import { KeyStoreError } from '@phlow/keys-core';
import { parseStoredTime, versionTimes } from '@phlow/keys-core/adapter';
import {
  isAlreadyExists,
  isNotFound,
  isScheduledForDeletion,
  isStageMismatch,
  STORE_TYPE,
} from './errors.js';
import { dropGraceLabels, keepPreviousInGrace } from './grace.js';
import { CURRENT, PENDING, PREVIOUS, type Secrets } from './secrets.js';

/** Attempts of an unconditional write when other writers keep moving AWSCURRENT under it. */
const MAX_RACES = 5;

/**
 * Starts of a create-only or unconditional write over. They start over when the secret seems to vanish in
 * between two calls (CreateSecret says it exists, DescribeSecret or PutSecretValue says it does not); an
 * endpoint that keeps contradicting itself this way must not make the write loop forever.
 */
const MAX_STARTS = 3;

interface Write {
  readonly secrets: Secrets;
  readonly keyId: string;
  readonly name: string;
  readonly value: string;
  readonly token: string;
  /** How many times createOnly or replace began (see MAX_STARTS). */
  starts: number;
}

const conflict = (w: Write, why: string) =>
  new KeyStoreError('CONFLICT', `key "${w.keyId}" ${why}; read it again and retry`, {
    storeType: STORE_TYPE,
    keyId: w.keyId,
  });

/**
 * A rotation's value with its activation time checked against AWS's clock (keys-core/adapter versionTimes):
 * Secrets Manager dates versions itself, but `activates_at` comes from this host's clock. More than 5 minutes
 * behind the secret's last change is INVALID_CONFIG, nothing written; less, the activation moves so that the
 * new key keeps its whole delay after the version it replaces.
 */
function withCheckedActivation(w: Write, lastChanged: Date | undefined): string {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(w.value) as Record<string, unknown>;
  } catch {
    return w.value;
  }
  const activatesAt = parseStoredTime(data.activates_at);
  if (!activatesAt) return w.value;
  const times = versionTimes({
    now: new Date(),
    newestCreatedAt: lastChanged,
    activatesAt,
    storeType: STORE_TYPE,
    keyId: w.keyId,
  });
  if (times.activatesAt?.getTime() === activatesAt.getTime()) return w.value;
  return JSON.stringify({ ...data, activates_at: times.activatesAt?.toISOString() });
}

/** Stores `value` as the current version of `keyId`, honouring `expectedVersion` (see the contract). */
export async function writeKeyPair(
  secrets: Secrets,
  keyId: string,
  value: string,
  expectedVersion: string | null | undefined,
): Promise<void> {
  const w: Write = { secrets, keyId, name: secrets.nameOf(keyId), value, token: randomUUID(), starts: 0 };
  if (expectedVersion === null) return createOnly(w);
  if (expectedVersion !== undefined) return compareAndSet(w, expectedVersion);
  return replace(w);
}

/** Counts a (re)start of the write; UNAVAILABLE once the secret kept appearing and vanishing MAX_STARTS times. */
function start(w: Write): void {
  if (++w.starts <= MAX_STARTS) return;
  throw new KeyStoreError(
    'UNAVAILABLE',
    `cannot store key "${w.keyId}": Secrets Manager kept contradicting itself about secret "${w.name}" (it says the secret exists when creating it, and that it does not exist when describing or writing it) in ${MAX_STARTS} attempts; check the endpoint and try again`,
    { storeType: STORE_TYPE, keyId: w.keyId },
  );
}

/** `expectedVersion: null`: succeeds only if the id does not exist (or is scheduled for deletion). */
async function createOnly(w: Write): Promise<void> {
  start(w);
  try {
    await w.secrets.create(w.name, w.value, w.token, w.keyId);
    return;
  } catch (error) {
    if (isScheduledForDeletion(error)) return revive(w, 'create-only');
    if (!isAlreadyExists(error)) throw error;
  }
  // AWS says "scheduled for deletion" for a deleted name; moto says "already exists": ask.
  const state = await describeIfExists(w);
  if (state === undefined) return createOnly(w); // purged in between: try again
  if (state.deleted) return revive(w, 'create-only');
  throw conflict(w, 'already exists (expected no key)');
}

/**
 * `expectedVersion` a version id. The check before the write is only a shortcut (a stale caller fails
 * without leaving a version behind, and moto, which accepts writes to a deleted secret, behaves as AWS
 * does); the stage move in `promote` is what makes it atomic.
 */
async function compareAndSet(w: Write, expected: string): Promise<void> {
  const state = await describeIfExists(w);
  if (state === undefined) throw conflict(w, `does not exist (expected version ${expected})`);
  if (state.deleted) throw conflict(w, `was deleted (expected version ${expected})`);
  if (state.current !== expected) {
    throw conflict(
      w,
      `changed since it was read (expected version ${expected}, found ${state.current ?? 'none'})`,
    );
  }
  const value = withCheckedActivation(w, state.lastChanged);
  try {
    await w.secrets.put(w.name, value, w.token, PENDING);
  } catch (error) {
    if (isNotFound(error)) throw conflict(w, `does not exist (expected version ${expected})`);
    if (isScheduledForDeletion(error)) throw conflict(w, `was deleted (expected version ${expected})`);
    throw error;
  }
  await keepPreviousInGrace(w.secrets, w.name, state.stages);
  return promote(w, expected);
}

/** No `expectedVersion`: the last writer wins. */
async function replace(w: Write): Promise<void> {
  start(w);
  try {
    await w.secrets.put(w.name, w.value, w.token, PENDING);
  } catch (error) {
    if (isNotFound(error)) return createOrReplace(w);
    if (isScheduledForDeletion(error)) return revive(w, 'unconditional');
    throw error;
  }
  for (let race = 0; race < MAX_RACES; race++) {
    const { current, deleted, stages } = await w.secrets.describe(w.name);
    // moto accepts PutSecretValue on a secret scheduled for deletion (AWS refuses): treat it as AWS would.
    if (deleted) return revive(w, 'unconditional');
    // A secret that had no value yet makes its first version current by itself.
    if (current === w.token) return;
    await keepPreviousInGrace(w.secrets, w.name, stages);
    try {
      await w.secrets.move(w.name, CURRENT, w.token, current);
      return;
    } catch (error) {
      if (!isStageMismatch(error)) throw error;
    }
  }
  await w.secrets.dropLabel(w.name, PENDING, w.token).catch(() => {});
  throw conflict(w, `kept changing while it was written (${MAX_RACES} attempts)`);
}

async function describeIfExists(w: Write) {
  try {
    return await w.secrets.describe(w.name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The id did not exist when the write began: create it, or replace it if another writer created it first. */
async function createOrReplace(w: Write): Promise<void> {
  try {
    await w.secrets.create(w.name, w.value, w.token, w.keyId);
  } catch (error) {
    if (isAlreadyExists(error)) return replace(w);
    if (isScheduledForDeletion(error)) return revive(w, 'unconditional');
    throw error;
  }
}

/** Moves AWSCURRENT from `from` to the staged version, or reports CONFLICT if `from` lost it. */
async function promote(w: Write, from: string): Promise<void> {
  try {
    await w.secrets.move(w.name, CURRENT, w.token, from);
  } catch (error) {
    if (!isStageMismatch(error)) throw error;
    if (await holdsCurrent(w)) return;
    // The losing version stays in history unlabelled; take AWSPENDING off it so no rotation tool mistakes
    // it for a rotation in progress.
    await w.secrets.dropLabel(w.name, PENDING, w.token).catch(() => {});
    throw conflict(w, `changed since it was read (expected version ${from} to be current)`);
  }
}

/** Writes to an id scheduled for deletion: restore, replace the deleted key, and stop trusting it. */
async function revive(w: Write, mode: 'create-only' | 'unconditional'): Promise<void> {
  // Which version is the deleted key is read before the restore: once restored the secret looks live, and
  // its current version could already be the new key of another writer reviving it.
  const before = await describeIfExists(w);
  if (before === undefined) return mode === 'create-only' ? createOnly(w) : createOrReplace(w); // purged
  if (!before.deleted) {
    // Restored by someone else since: it is a live key now.
    if (mode === 'create-only')
      throw conflict(w, 'was restored or recreated by another writer (expected no key)');
    return replace(w);
  }
  const deletedKey = before.current;
  try {
    await w.secrets.restore(w.name);
    // Its older keys kept by grace labels must not verify again either.
    await dropGraceLabels(w.secrets, w.name, before.stages);
  } catch (error) {
    if (isNotFound(error)) return mode === 'create-only' ? createOnly(w) : createOrReplace(w); // purged
    throw error;
  }
  await w.secrets.put(w.name, w.value, w.token, PENDING);
  try {
    await w.secrets.move(w.name, CURRENT, w.token, deletedKey);
  } catch (error) {
    if (!isStageMismatch(error)) throw error;
    if (!(await holdsCurrent(w))) {
      // Another writer replaced the deleted key first; whichever way it did, the deleted key stays untrusted.
      await dropDeletedKey(w, deletedKey);
      if (mode === 'create-only') {
        await w.secrets.dropLabel(w.name, PENDING, w.token).catch(() => {});
        throw conflict(w, 'was recreated by another writer (expected no key)');
      }
      return replace(w);
    }
  }
  return dropDeletedKey(w, deletedKey);
}

/** The deleted key got AWSPREVIOUS when the new value replaced it: take it off, so it never verifies again. */
async function dropDeletedKey(w: Write, deletedKey: string | undefined): Promise<void> {
  if (deletedKey !== undefined) await w.secrets.dropLabel(w.name, PREVIOUS, deletedKey);
}

/**
 * After a refused stage move: did our version become current anyway? It did when the SDK retried a move
 * whose first answer was lost (the retry then finds the label already moved, and is refused).
 */
async function holdsCurrent(w: Write): Promise<boolean> {
  return (await w.secrets.describe(w.name)).current === w.token;
}
