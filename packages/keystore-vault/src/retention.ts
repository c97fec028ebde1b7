/**
 * The rule for the versions Vault keeps, and the warnings when a mount or key breaks it.
 *
 * A rotation writes a new version; the outgoing one must stay readable for the grace period, because tokens it
 * signed are still being verified. KV v2 keeps `max_versions` versions of each key (per key, else per mount;
 * 0 means Vault's default of 10) and destroys the oldest beyond that on every write; `delete_version_after`
 * soft-deletes every version, the current one included, once it is that old. So:
 * - the effective max_versions must be at least 2 (1 destroys the outgoing key at the moment of rotation:
 *   rotation grace is impossible), and at least 1 + the number of rotations made within one grace period;
 * - delete_version_after must be unset ("0s"), or the current key disappears by itself.
 * A rotation that would make Vault destroy a version still in its grace period is refused (write.ts).
 */
import { isReadable, type KvMetadata } from './kv2.js';

export const VAULT_DEFAULT_MAX_VERSIONS = 10;

/** A version the next write would make Vault destroy while it still verifies. */
export interface GraceLoss {
  readonly version: number;
  /** When its grace period ends: `rotationGracePeriodMs` after the version that replaced it was written. */
  readonly retiresAt: Date;
}

/**
 * The newest version that writing version `currentVersion + 1` would push out of the `maxVersions` Vault keeps
 * while it is still in its grace period, if any. Deleted and destroyed versions verify nothing and are not
 * counted as losses.
 */
export function versionLostInGrace(
  meta: KvMetadata,
  maxVersions: number,
  gracePeriodMs: number,
  now = Date.now(),
): GraceLoss | undefined {
  if (gracePeriodMs <= 0) return undefined;
  const lastDropped = meta.currentVersion + 1 - maxVersions;
  const created = new Map(meta.versions.map((v) => [v.version, v.createdAt]));
  for (const v of meta.versions) {
    if (v.version > lastDropped || !isReadable(v, now)) continue;
    // The current version is replaced by this very write.
    const replacedAt = v.version === meta.currentVersion ? new Date(now) : created.get(v.version + 1);
    if (replacedAt === undefined) continue;
    const retiresAt = new Date(replacedAt.getTime() + gracePeriodMs);
    if (retiresAt.getTime() > now) return { version: v.version, retiresAt };
  }
  return undefined;
}

export interface RetentionSettings {
  /** 0 = not set here. */
  readonly maxVersions: number;
  /** Vault duration string, "0s" or "" = not set. */
  readonly deleteVersionAfter: string;
}

export function effectiveMaxVersions(mount: RetentionSettings | undefined, key?: RetentionSettings): number {
  if (key && key.maxVersions > 0) return key.maxVersions;
  if (mount && mount.maxVersions > 0) return mount.maxVersions;
  return VAULT_DEFAULT_MAX_VERSIONS;
}

const isSet = (duration: string) => duration !== '' && !/^0+[a-z]*$/i.test(duration);

/** Warnings for `where` (`mount "phlow"` or `key phlow/keys/x`); empty when the settings follow the rule. */
export function retentionWarnings(
  where: string,
  mount: RetentionSettings | undefined,
  key?: RetentionSettings,
): string[] {
  const warnings: string[] = [];
  const max = effectiveMaxVersions(mount, key);
  const setting = key && key.maxVersions > 0 ? 'the key' : 'the mount';
  if (max < 2) {
    warnings.push(
      `[phlow] [vault] ${where} keeps only ${max} version (max_versions of ${setting}): a rotation destroys the previous key at once, so tokens it signed stop verifying and rotation grace is impossible. Set max_versions to 2 or more (vault kv metadata put -max-versions=10 ..., or vault write <mount>/config max_versions=10)`,
    );
  }
  const after = key && isSet(key.deleteVersionAfter) ? key.deleteVersionAfter : mount?.deleteVersionAfter;
  if (after !== undefined && isSet(after)) {
    warnings.push(
      `[phlow] [vault] ${where} deletes every version after ${after} (delete_version_after), the current key included: keys vanish unless rotated in time. Set delete_version_after to 0s`,
    );
  }
  return warnings;
}

/** Mount settings from the body of `GET <mount>/config`. */
export function parseMountConfig(body: unknown): RetentionSettings | undefined {
  const data = (body as { data?: { max_versions?: unknown; delete_version_after?: unknown } } | null)?.data;
  if (!data) return undefined;
  return {
    maxVersions: Number(data.max_versions) || 0,
    deleteVersionAfter: typeof data.delete_version_after === 'string' ? data.delete_version_after : '0s',
  };
}
