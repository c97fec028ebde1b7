/**
 * Dating a new key version by one clock: the one the stored versions were dated by.
 *
 * A store dates a version with the clock of the host that writes it, and every replica works out the rotation
 * timeline from those dates (rotation-timeline.ts). A writer whose clock is behind the one that wrote the
 * newest version would date its version before the one it replaces, which every replica reads as "replaced
 * long ago": the old key retires at once (25 h behind: tokens minted a second earlier stop verifying
 * fleet-wide), and the new key's activation time (writer's clock + delay) is already past, so it signs before
 * verifiers could fetch it (20 min behind: the publication delay is skipped).
 *
 * The newest stored version is the only other clock reading a store has, so:
 * - more than CLOCK_TOLERANCE_MS behind it: the write is refused (INVALID_CONFIG: fix the host's clock);
 * - behind it by less: the version is dated at the newest version's time instead, and its activation time is
 *   moved by the same amount, so it keeps the whole delay the writer asked for after its predecessor;
 * - otherwise: the writer's own times, unchanged.
 * A clock that is behind but has no recent version to compare with cannot be told from a correct one here;
 * stores dated by the server (Vault's created_time, Secrets Manager's CreatedDate) only check the activation.
 */
import { KeyStoreError } from '../errors.js';

/**
 * How far behind the newest version a writer's clock may be: 5 minutes. Hosts synchronised by NTP differ
 * by milliseconds; minutes mean a clock that is not synchronised at all, while a smaller bound would refuse
 * rotations on hosts whose clock was only stepped back (a VM resumed, a leap second smeared).
 */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

export interface VersionTimeInput {
  /** The writer's clock when it writes. */
  readonly now: Date;
  /** When the newest stored version of the id was created (by whichever host wrote it), if any. */
  readonly newestCreatedAt?: Date | undefined;
  /** The activation time the caller asked for (writer's clock + its delay), if any. */
  readonly activatesAt?: Date | undefined;
  readonly storeType: string;
  readonly keyId: string;
  /** Default: CLOCK_TOLERANCE_MS. */
  readonly toleranceMs?: number;
}

export interface VersionTimes {
  readonly createdAt: Date;
  readonly activatesAt?: Date;
}

/** The times to store for a new version (see the opening comment); INVALID_CONFIG for a clock far behind. */
export function versionTimes(input: VersionTimeInput): VersionTimes {
  const { now, newestCreatedAt, activatesAt, storeType, keyId } = input;
  const tolerance = input.toleranceMs ?? CLOCK_TOLERANCE_MS;
  const newest = newestCreatedAt?.getTime();
  const behind = newest === undefined || Number.isNaN(newest) ? 0 : newest - now.getTime();
  if (behind > tolerance) {
    throw new KeyStoreError(
      'INVALID_CONFIG',
      `this host's clock (${now.toISOString()}) is ${describe(behind)} behind the newest version of key "${keyId}" (created ${newestCreatedAt!.toISOString()}); a version dated before the one it replaces would retire that key at once. Nothing was written: synchronise this host's clock (NTP) and rotate again (up to ${describe(tolerance)} behind is tolerated)`,
      { storeType, keyId },
    );
  }
  const shift = Math.max(0, behind);
  return {
    createdAt: new Date(now.getTime() + shift),
    ...(activatesAt ? { activatesAt: new Date(activatesAt.getTime() + shift) } : {}),
  };
}

function describe(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
