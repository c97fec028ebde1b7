/**
 * The rotation timeline of one key id, worked out from its stored versions alone: which key signs now,
 * which keys verify, and when a newly written key starts signing.
 *
 * Every replica reads the same versions and computes the same answer, so a rotation needs one store write
 * and no coordination: a version written at `createdAt` is published at once (it verifies, it is in the
 * JWK Set) and starts signing at `createdAt + delay`. A version replaced at `t` keeps verifying until
 * `t + grace`.
 *
 * An emergency rotation (`rotateKeyPair(id, { now: true })`) writes its key twice in a row. Two equal
 * newest versions mean "signs at once": the marker lives in the version history the store already keeps,
 * so readers of the original layout (the Python Phlow, `vault kv get`, boto3) see an ordinary current key.
 */

/** What the timeline needs of a version: KeyPair fits. */
export interface TimelineVersion {
  readonly kid: string;
  readonly createdAt: Date | undefined;
}

export interface Timeline<V extends TimelineVersion> {
  /** The key that signs now. */
  readonly signing: V;
  /** Keys that verify now, newest first, each kid once; `verifying[0]` is the current (newest) key. */
  readonly verifying: V[];
  /** The newest key when it does not sign yet, with the time it starts. */
  readonly pending: { readonly key: V; readonly activatesAt: Date } | undefined;
}

interface Run<V> {
  /** The newest version of a run of equal keys. */
  readonly key: V;
  /** When the first (oldest) version of the run was written: when this key was published. */
  readonly publishedAt: number | undefined;
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
  settings: { readonly delayMs: number; readonly graceMs: number },
): Timeline<V> {
  const runs = toRuns(versions);
  const verifying: V[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < runs.length; i++) {
    // A key is trusted until `grace` after the key that replaced it was published.
    const replacedAt = i === 0 ? undefined : runs[i - 1]!.publishedAt;
    const key = runs[i]!.key;
    if (seen.has(key.kid)) continue;
    if (i === 0 || (replacedAt !== undefined && now < replacedAt + settings.graceMs)) {
      verifying.push(key);
      seen.add(key.kid);
    }
  }
  let signing = runs.length - 1;
  for (let i = 0; i < runs.length; i++) {
    if (isActive(runs[i]!, now, settings.delayMs)) {
      signing = i;
      break;
    }
  }
  // The oldest key the store still holds signs when none is active yet (a store that kept too few
  // versions); it verifies, being in the list, unless its grace is over.
  const newest = runs[0]!;
  const pending =
    signing === 0 || newest.publishedAt === undefined
      ? undefined
      : { key: newest.key, activatesAt: new Date(newest.publishedAt + settings.delayMs) };
  return { signing: runs[signing]!.key, verifying, pending };
}

function isActive<V>(run: Run<V>, now: number, delayMs: number): boolean {
  // Delay 0 means the newest key signs, even on a replica whose clock runs behind the store's.
  if (delayMs === 0 || run.length >= 2 || run.publishedAt === undefined) return true;
  return now >= run.publishedAt + delayMs;
}

function toRuns<V extends TimelineVersion>(versions: readonly V[]): Run<V>[] {
  const runs: Run<V>[] = [];
  for (const version of versions) {
    const last = runs[runs.length - 1];
    if (last && last.key.kid === version.kid) {
      runs[runs.length - 1] = {
        key: last.key,
        publishedAt: version.createdAt?.getTime() ?? last.publishedAt,
        length: last.length + 1,
      };
    } else {
      runs.push({ key: version, publishedAt: version.createdAt?.getTime(), length: 1 });
    }
  }
  return runs;
}
