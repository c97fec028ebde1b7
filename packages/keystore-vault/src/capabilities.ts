/**
 * The start-up check of the token's rights under the mount (sys/capabilities-self).
 *
 * A token that Vault accepts may still have no rights on the keys: lookup-self passes, and the first signature
 * fails. So the check asks Vault which capabilities the token has on the paths the store uses, with a probe id
 * under the prefix (policies grant the prefix with a glob, `phlow/data/keys/*`):
 * - `read` on `<mount>/data/<prefix>*` is required: without it the store can do nothing, ACCESS_DENIED naming
 *   every missing capability and its path;
 * - the others (writes, versions, listing, deletes) are reported by name as one warning: a token made for
 *   verifiers only may lack them on purpose.
 * A token that may not call capabilities-self (no `default` policy) skips the check: it is advice, like the
 * mount lookup.
 */
import { KeyStoreError } from '@phlow/keys-core';
import { dataPath, deletePath, type KvLayout, listPath, metadataPath } from './kv2.js';
import type { VaultSession } from './session.js';

/** An id no one uses, to ask about the paths of every id under the prefix. */
const PROBE_ID = 'phlow-capability-check';

/** A capability the store uses, what for, and on which path. */
export interface CapabilityNeed {
  readonly path: string;
  readonly capability: 'read' | 'create' | 'update' | 'delete' | 'list';
  readonly usedBy: string;
}

export function capabilityNeeds(layout: KvLayout): CapabilityNeed[] {
  const data = dataPath(layout, PROBE_ID).replace(PROBE_ID, '*');
  const metadata = metadataPath(layout, PROBE_ID).replace(PROBE_ID, '*');
  const del = deletePath(layout, PROBE_ID).replace(PROBE_ID, '*');
  return [
    { path: data, capability: 'read', usedBy: 'reading keys' },
    { path: metadata, capability: 'read', usedBy: 'getKeyVersions, listKeyIds and compare-and-set writes' },
    { path: listPath(layout), capability: 'list', usedBy: 'listKeyIds and the JWK Set' },
    { path: data, capability: 'create', usedBy: 'storing new keys' },
    { path: data, capability: 'update', usedBy: 'rotating keys' },
    { path: del, capability: 'update', usedBy: 'deleting keys' },
    { path: metadata, capability: 'delete', usedBy: 'deleteKeyPair with destroy' },
  ];
}

const has = (granted: readonly string[], capability: string) =>
  !granted.includes('deny') && (granted.includes('root') || granted.includes(capability));

/** The needs the token does not meet, or undefined when the token may not ask. */
export async function missingCapabilities(
  session: VaultSession,
  layout: KvLayout,
): Promise<CapabilityNeed[] | undefined> {
  const needs = capabilityNeeds(layout);
  // Ask about the probe id's own paths: Vault matches them against the policies' globs.
  const asked = (path: string) => path.replace('*', PROBE_ID);
  const paths = [...new Set(needs.map((n) => asked(n.path)))];
  const out = await session.call({
    method: 'POST',
    path: 'sys/capabilities-self',
    body: { paths },
    idempotent: true,
  });
  if (!out.ok) return undefined;
  const body = (out.body ?? {}) as Record<string, unknown> & { data?: Record<string, unknown> };
  const granted = (path: string): string[] => {
    const value = body.data?.[path] ?? body[path];
    return Array.isArray(value) ? value.map(String) : [];
  };
  return needs.filter((n) => !has(granted(asked(n.path)), n.capability));
}

const describe = (needs: readonly CapabilityNeed[]) =>
  needs.map((n) => `${n.capability} on ${n.path} (${n.usedBy})`).join(', ');

/** Throws ACCESS_DENIED without `read` on the keys; returns a warning naming the other missing ones, if any. */
export function judgeCapabilities(address: string, missing: readonly CapabilityNeed[]): string | undefined {
  if (missing.length === 0) return undefined;
  const fatal = missing.some((n) => n.capability === 'read' && n.path.includes('/data/'));
  if (fatal) {
    throw new KeyStoreError(
      'ACCESS_DENIED',
      `the Vault token at ${address} has no right to read keys: it lacks ${describe(missing)}. Grant them in its policy (vault token capabilities <path> shows what it has), or use another token`,
      { storeType: 'vault' },
    );
  }
  return `[phlow] [vault] the token at ${address} lacks ${describe(missing)}: those operations will be ACCESS_DENIED. Grant them in its policy if this process needs them`;
}
