/**
 * Keys older than AWSPREVIOUS, kept verifying with custom staging labels.
 *
 * Secrets Manager moves AWSPREVIOUS along with AWSCURRENT, so on its own it keeps one replaced key: a second
 * rotation within one grace period would silently retire a key whose tokens are still being verified. Before
 * each rotation the store therefore labels the version about to lose AWSPREVIOUS `phlow-grace-<ms>-<version>`
 * (`<ms>`: when it was labelled, so labels sort by age; the version id makes the label unique). getKeyVersions
 * returns every version holding AWSCURRENT, AWSPREVIOUS or such a label, newest first with createdAt, and
 * KeyManager decides which are still in grace. The number of grace labels is bounded (AWS allows 20 staging
 * labels per secret): beyond MAX_GRACE_VERSIONS the oldest labels are removed, and those versions stay in the
 * secret's history, unlabelled.
 */
import { CURRENT, PREVIOUS, type Secrets } from './secrets.js';

export const GRACE_PREFIX = 'phlow-grace-';
/** Versions kept by grace labels, besides AWSCURRENT and AWSPREVIOUS. */
export const MAX_GRACE_VERSIONS = 10;

export const isGraceLabel = (label: string): boolean => label.startsWith(GRACE_PREFIX);

/** When a grace label was put on; 0 for a label of unexpected shape (dropped first). */
const labelledAt = (label: string): number => Number(/^phlow-grace-(\d+)-/.exec(label)?.[1] ?? 0);

/**
 * Where a version stands in the rotation history, newest highest: AWSCURRENT, then AWSPREVIOUS, then the grace
 * labels by the time they were put on. Sorting by this rather than by createdAt keeps the order right when
 * versions were written within the same second (Secrets Manager dates have second precision).
 */
export function rotationRank(labels: readonly string[]): number {
  if (labels.includes(CURRENT)) return Number.POSITIVE_INFINITY;
  if (labels.includes(PREVIOUS)) return Number.MAX_VALUE;
  return Math.max(0, ...labels.filter(isGraceLabel).map(labelledAt));
}

/**
 * Before AWSCURRENT moves: labels the version holding AWSPREVIOUS (unless it is the current one or already
 * labelled), then removes the oldest grace labels beyond the bound. `stages` is a DescribeSecret read just
 * before. A version labelled for a rotation that then loses its compare-and-set keeps its label: it was
 * a key that verified, and it ages out like the others.
 */
export async function keepPreviousInGrace(
  secrets: Secrets,
  name: string,
  stages: Record<string, string[]>,
  now: number = Date.now(),
): Promise<void> {
  const labels = Object.entries(stages).flatMap(([versionId, l]) =>
    l.filter(isGraceLabel).map((label) => ({ versionId, label })),
  );
  const previous = Object.entries(stages).find(([, l]) => l.includes(PREVIOUS) && !l.includes(CURRENT));
  if (previous && !previous[1].some(isGraceLabel)) {
    const label = `${GRACE_PREFIX}${now}-${previous[0]}`;
    await secrets.move(name, label, previous[0], undefined);
    labels.push({ versionId: previous[0], label });
  }
  labels.sort((a, b) => labelledAt(b.label) - labelledAt(a.label));
  for (const { versionId, label } of labels.slice(MAX_GRACE_VERSIONS)) {
    await secrets.dropLabel(name, label, versionId);
  }
}

/** Removes every grace label: a deleted key's old versions must not verify again when the id is written anew. */
export async function dropGraceLabels(
  secrets: Secrets,
  name: string,
  stages: Record<string, string[]>,
): Promise<void> {
  for (const [versionId, labels] of Object.entries(stages)) {
    for (const label of labels.filter(isGraceLabel)) await secrets.dropLabel(name, label, versionId);
  }
}
