/**
 * Applies the retention rule (retention.ts) to the live mount and keys and reports each problem once per store.
 *
 * The mount's settings are read once (`<mount>/config`) and a key's when its metadata is read anyway
 * (getKeyVersions) or before its first rotation. A token that may not read them gets no warning: the check is
 * advice, never a reason to fail a call.
 */
import { cliPath, configPath, type KvLayout, type KvMetadata } from './kv2.js';
import { parseMountConfig, type RetentionSettings, retentionWarnings } from './retention.js';
import type { VaultSession } from './session.js';

export interface RetentionCheck {
  /** The mount's settings, read once; undefined when they cannot be read. */
  mountSettings(): Promise<RetentionSettings | undefined>;
  /** Warns about the mount's settings. */
  checkMount(): Promise<void>;
  /** Warns about `keyId`'s settings (once per key), given metadata already read. */
  checkKey(keyId: string, meta: KvMetadata): void;
  /** Before the first rotation of `keyId` by this store: reads its metadata and warns. Never throws. */
  beforeRotation(keyId: string, readMetadata: (keyId: string) => Promise<KvMetadata | null>): Promise<void>;
}

export function createRetentionCheck(
  session: VaultSession,
  layout: KvLayout,
  onWarning: (message: string) => void,
): RetentionCheck {
  const warned = new Set<string>();
  const checkedKeys = new Set<string>();
  let mount: Promise<RetentionSettings | undefined> | undefined;

  const warn = (messages: string[]) => {
    for (const message of messages) {
      if (warned.has(message)) continue;
      warned.add(message);
      try {
        onWarning(message);
      } catch {
        // A warning hook must not break key operations.
      }
    }
  };

  const mountSettings = () => {
    mount ??= session
      .call({ method: 'GET', path: configPath(layout), idempotent: true })
      .then((out) => (out.ok ? parseMountConfig(out.body) : undefined))
      .catch(() => undefined);
    return mount;
  };

  const keySettings = (meta: KvMetadata): RetentionSettings => ({
    maxVersions: meta.maxVersions,
    deleteVersionAfter: meta.deleteVersionAfter,
  });

  return {
    mountSettings,

    async checkMount() {
      warn(retentionWarnings(`mount "${layout.mount}"`, await mountSettings()));
    },

    checkKey(keyId, meta) {
      if (checkedKeys.has(keyId)) return;
      checkedKeys.add(keyId);
      void mountSettings().then((m) =>
        warn(retentionWarnings(`key ${cliPath(layout, keyId)}`, m, keySettings(meta))),
      );
    },

    async beforeRotation(keyId, readMetadata) {
      if (checkedKeys.has(keyId)) return;
      checkedKeys.add(keyId);
      try {
        const [m, meta] = await Promise.all([mountSettings(), readMetadata(keyId)]);
        warn(retentionWarnings(`key ${cliPath(layout, keyId)}`, m, meta ? keySettings(meta) : undefined));
      } catch {
        // advice only
      }
    },
  };
}
