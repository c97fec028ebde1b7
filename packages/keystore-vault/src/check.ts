/**
 * The start-up check. The Python Phlow checked its token when the store was built; this store never does I/O at
 * import or construction, so the provider's `create` runs this check and `store.checkConnection()` exposes it.
 *
 * It looks the token up (auth/token/lookup-self: reachable, unsealed, token alive, and its TTL so that a given
 * token is renewed in time), makes sure the mount is KV v2 where the token may ask, checks the token's rights
 * on the store's paths (capabilities.ts), and warns about retention settings that would break rotation.
 */
import { KeyStoreError } from '@phlow/keys-core';
import { judgeCapabilities, missingCapabilities } from './capabilities.js';
import { isPermissionDenied, toKeyStoreError } from './errors.js';
import type { KvLayout } from './kv2.js';
import type { RetentionCheck } from './retention-check.js';
import type { VaultSession } from './session.js';

export interface VaultConnectionInfo {
  readonly address: string;
  readonly mount: string;
  /** Seconds the token has left; 0 = it does not expire. */
  readonly tokenTtlSeconds: number;
  readonly tokenRenewable: boolean;
  readonly policies: readonly string[];
  /** The KV version of the mount, when the token may look it up. */
  readonly kvVersion?: string;
  /**
   * Capabilities the store uses that the token lacks, as `<capability> on <path>`; absent when the token may
   * not ask (sys/capabilities-self). Without `read` on the keys the check fails instead.
   */
  readonly missingCapabilities?: readonly string[];
}

export async function checkConnection(
  session: VaultSession,
  layout: KvLayout,
  retention: RetentionCheck,
  onWarning: (message: string) => void,
): Promise<VaultConnectionInfo> {
  const lookup = 'auth/token/lookup-self';
  const out = await session.call({ method: 'GET', path: lookup, idempotent: true });
  if (!out.ok) {
    if (isPermissionDenied(out.failure)) {
      throw new KeyStoreError(
        'ACCESS_DENIED',
        `Vault at ${session.address} refused the token (${lookup}): it is invalid, expired or revoked. Set a valid VAULT_TOKEN, log in again (vault login), or check VAULT_ROLE_ID / VAULT_SECRET_ID`,
        { storeType: 'vault' },
      );
    }
    throw toKeyStoreError(out.failure, session.at('look up its token at', lookup));
  }
  const data = ((out.body as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<
    string,
    unknown
  >;
  const ttl = Number(data.ttl) || 0;
  const renewable = data.renewable === true;
  if (typeof data.id === 'string') session.auth.learn(data.id, ttl, renewable);

  const mountPath = `sys/internal/ui/mounts/${layout.mount}`;
  const mount = await session.call({ method: 'GET', path: mountPath, idempotent: true });
  let kvVersion: string | undefined;
  if (mount.ok) {
    const m = (mount.body as { data?: { type?: unknown; options?: { version?: unknown } | null } } | null)
      ?.data;
    kvVersion = m?.options?.version === undefined ? undefined : String(m.options.version);
    if (m?.type !== undefined && (m.type !== 'kv' || kvVersion !== '2')) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        `the secrets engine at "${layout.mount}/" in Vault at ${session.address} is ${String(m.type)}${kvVersion ? ` version ${kvVersion}` : ''}, not KV version 2: enable one (vault secrets enable -path=${layout.mount} kv-v2), upgrade it (vault kv enable-versioning ${layout.mount}/) or set PHLOW_VAULT_MOUNT`,
        { storeType: 'vault' },
      );
    }
  }
  const missing = await missingCapabilities(session, layout);
  if (missing) {
    const warning = judgeCapabilities(session.address, missing);
    if (warning) {
      try {
        onWarning(warning);
      } catch {
        // A warning hook must not break the check.
      }
    }
  }
  await retention.checkMount();

  return {
    address: session.address,
    mount: layout.mount,
    tokenTtlSeconds: ttl,
    tokenRenewable: renewable,
    policies: Array.isArray(data.policies) ? data.policies.map(String) : [],
    ...(kvVersion === undefined ? {} : { kvVersion }),
    ...(missing ? { missingCapabilities: missing.map((n) => `${n.capability} on ${n.path}`) } : {}),
  };
}
