/**
 * The rotation timeline of one key id, worked out from its stored versions alone: which key signs now,
 * which keys verify, and when a newly written key starts signing.
 *
 * Every replica reads the same versions and computes the same answer, so a rotation needs one store write
 * and no coordination. A version is published at once (it verifies, it is in the JWK Set) and starts
 * signing at its activation time; a version replaced at `t` keeps verifying until `t + grace`.
 *
 * The activation time is decided once, by the process that rotates, where the store can keep it:
 * - A version with `activatesAt` (stores with capability `activation`) signs from then: rotation time +
 *   the rotating process's delay, or rotation time for an emergency rotation. Every replica reads the same
 *   time, whatever its own delay setting.
 * - A version without one (a store without `activation`, or a version written by the Python Phlow or an
 *   older phlow-keys) signs from `createdAt + delay`, this replica's delay. Two equal newest versions mean
 *   "signs at once": the emergency marker of stores that cannot keep an activation time, which lives in the
 *   version history the store already keeps, so readers of the original layout see an ordinary current key.
 *
 * The newest active version signs. So a key that was replaced by an active newer version never signs again:
 * the newer one outranks it from its activation on, on every replica that reads the stored time.
 */

/** What the timeline needs of a version: KeyPair fits. */
export interface TimelineVersion {
  readonly kid: string;
  readonly createdAt: Date | undefined;
  /** When this version starts signing, as fixed at rotation; absent for versions written without one. */
  readonly activatesAt?: Date | undefined;
}

export interface Timeline<V extends TimelineVersion> {
  /** The key that signs now. */
  readonly signing: V;
  /** The newest version, signing or not (what the store returns as current, what Python readers see). */
  readonly newest: V;
  /** Keys that verify now, newest first, each kid once; `verifying[0]` is the newest key. */
  readonly verifying: V[];
  /** The newest key when it does not sign yet, with the time it starts. */
  readonly pending: { readonly key: V; readonly activatesAt: Date } | undefined;
  /** The first time after `now` at which this answer changes (an activation, a retirement); Infinity if none. */
  readonly until: number;
}

export interface TimelineSettings {
  /** This replica's delay, for versions without a stored activation time. */
  readonly delayMs: number;
  readonly graceMs: number;
}

interface Run<V> {
  /** The newest version of a run of equal keys. */
  readonly key: V;
  /** When the first (oldest) version of the run was written: when this key was published. */
  readonly publishedAt: number | undefined;
  /** The earliest activation time stored on a version of the run. */
  readonly activatesAt: number | undefined;
  /** How many versions in a row hold this key. */
  readonly length: number;
}

/**
 * The timeline of `versions` (newest first, as `getKeyVersions` returns them) at `now`.
 * `versions` must not be empty.
 */
export function rotationTimeline<V extends TimelineVersion>(
  versions: readonly V[],
  now: number,
  settings: TimelineSettings,
): Timeline<V> {
  const runs = toRuns(versions);
  let until = Number.POSITIVE_INFINITY;
  const verifying: V[] = [];
  const seen = new Set<string>();
  // The earliest time a newer run took over (see takeover): when the run at `i` stopped signing at the latest.
  let supersededAt: number | undefined;
  for (let i = 0; i < runs.length; i++) {
    // A key is trusted until `grace` after the key that replaced it was published, or after the key stopped
    // signing if that is later: a stored activation time of a newer key (a rotating process with a longer
    // delay than this replica's grace allows for, or a far-future value) keeps it signing until then. So a
    // key verifies for at least `grace` after it last signs.
    const published = i === 0 ? undefined : runs[i - 1]!.publishedAt;
    const replacedAt =
      published === undefined || supersededAt === undefined
        ? (published ?? supersededAt)
        : Math.max(published, supersededAt);
    const newer = takeover(runs[i]!);
    if (newer !== undefined)
      supersededAt = supersededAt === undefined ? newer : Math.min(supersededAt, newer);
    const key = runs[i]!.key;
    if (seen.has(key.kid)) continue;
    if (i === 0 || (replacedAt !== undefined && now < replacedAt + settings.graceMs)) {
      verifying.push(key);
      seen.add(key.kid);
      if (replacedAt !== undefined) until = Math.min(until, replacedAt + settings.graceMs);
    }
  }
  let signing = runs.length - 1;
  for (let i = 0; i < runs.length; i++) {
    const startsAt = activation(runs[i]!, settings.delayMs);
    if (startsAt <= now) {
      signing = i;
      break;
    }
    until = Math.min(until, startsAt);
  }
  // The oldest key the store still holds signs when none is active yet (a store that kept too few
  // versions); it verifies, being in the list, unless its grace is over.
  const newest = runs[0]!;
  const pending =
    signing === 0 || (newest.activatesAt === undefined && newest.publishedAt === undefined)
      ? undefined
      : { key: newest.key, activatesAt: new Date(activation(newest, settings.delayMs)) };
  return { signing: runs[signing]!.key, newest: newest.key, verifying, pending, until };
}

/**
 * When a run takes over from the older ones, in ms, for counting their grace: its stored activation time, or,
 * without one, its write time (the rule of versions written without a time).
 */
function takeover<V>(run: Run<V>): number | undefined {
  return run.activatesAt ?? run.publishedAt;
}

/** When a run starts signing, in ms; -Infinity for "at once". */
function activation<V>(run: Run<V>, delayMs: number): number {
  if (run.activatesAt !== undefined) return run.activatesAt;
  // Delay 0 means the newest key signs, even on a replica whose clock runs behind the store's.
  if (delayMs === 0 || run.length >= 2 || run.publishedAt === undefined) return Number.NEGATIVE_INFINITY;
  return run.publishedAt + delayMs;
}

function toRuns<V extends TimelineVersion>(versions: readonly V[]): Run<V>[] {
  const runs: Run<V>[] = [];
  for (const version of versions) {
    const last = runs[runs.length - 1];
    const at = validTime(version.activatesAt);
    if (last && last.key.kid === version.kid) {
      runs[runs.length - 1] = {
        key: last.key,
        publishedAt: validTime(version.createdAt) ?? last.publishedAt,
        activatesAt:
          at === undefined || last.activatesAt === undefined
            ? (at ?? last.activatesAt)
            : Math.min(at, last.activatesAt),
        length: last.length + 1,
      };
    } else {
      runs.push({ key: version, publishedAt: validTime(version.createdAt), activatesAt: at, length: 1 });
    }
  }
  return runs;
}

/**
 * A stored time as ms, or undefined when absent or not a valid Date (it then reads as absent): an invalid
 * write time must not turn every comparison of the timeline into NaN (no key would verify or activate).
 */
function validTime(at: Date | undefined): number | undefined {
  if (!(at instanceof Date)) return undefined;
  const ms = at.getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
