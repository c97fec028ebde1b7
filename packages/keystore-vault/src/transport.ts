/**
 * One HTTP call to Vault through node-vault, with bounded retries.
 *
 * node-vault's KV helpers do not cover KV v2 (no check-and-set, no metadata, no version reads), so every call
 * names its full API path (`phlow/data/keys/my-agent`) and goes through `vault.request`. A call resolves to an
 * outcome instead of throwing, because the store reads some failures as answers (404 = missing, a cas
 * mismatch = CONFLICT). Retries happen only where sending twice cannot do harm (see errors.ts).
 */

import { createQuietAgents, DEADLINE_CODE, startDeadline } from '@phlow/keys-core/adapter';
import nodeVault from 'node-vault';
import { describeFailure, isRetryable, type VaultFailure } from './errors.js';

export interface TransportConfig {
  /** Without a trailing slash. */
  readonly address: string;
  readonly namespace: string | undefined;
  readonly timeoutMs: number;
  /** Total time limit of one call, retries included (the adapter kit's deadline). */
  readonly deadlineMs: number;
  readonly maxRetries: number;
  readonly tls: {
    readonly ca: string | undefined;
    readonly cert: string | undefined;
    readonly key: string | undefined;
    readonly rejectUnauthorized: boolean;
  };
}

export interface VaultCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API path after `/v1/`, with any query string: `phlow/data/keys/my-agent?version=2`. */
  readonly path: string;
  readonly body?: object;
  /** Safe to send twice. KV writes are not: the store re-checks their unknown outcomes instead. */
  readonly idempotent: boolean;
}

export type VaultOutcome =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly failure: VaultFailure };

export interface VaultTransport {
  readonly config: TransportConfig;
  /**
   * Sends `call` with `token` (none for a login), retrying what is safe to retry, within the deadline (a
   * network failure with code DEADLINE_CODE once it passes). Never throws.
   */
  send(call: VaultCall, token: string | undefined): Promise<VaultOutcome>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** Backoff before retry `attempt` (0-based): full jitter over 100 ms, 200 ms, 400 ms, ..., at most 2 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(2000, 100 * 2 ** attempt));
}

export function createTransport(config: TransportConfig): VaultTransport {
  const { tls } = config;
  // The kit's quiet agents, passed with every request, so that NODE_DEBUG=http does not print the token. They
  // carry the TLS settings: node-vault then builds no agent of its own (and its VAULT_SKIP_VERIFY reading of
  // process.env has no effect).
  const agents = createQuietAgents({
    tls: {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
    },
  });
  const client = nodeVault({
    endpoint: config.address,
    apiVersion: 'v1',
    // node-vault's debug logger prints request bodies (DEBUG=node-vault): for a KV write, the private key.
    debug: () => {},
    rpDefaults: { strictSSL: true, timeout: config.timeoutMs },
  } as Parameters<typeof nodeVault>[0]);
  // node-vault falls back to process.env for these; the store passes its own per request, from options.env.
  (client as { token?: string }).token = undefined;
  (client as { namespace?: string }).namespace = config.namespace;
  (client as { pathPrefix?: string }).pathPrefix = '';

  return {
    config,
    async send(call, token) {
      const deadline = startDeadline(config.deadlineMs);
      const late = (): VaultOutcome => ({
        ok: false,
        failure: {
          kind: 'network',
          code: DEADLINE_CODE,
          message: `no complete answer within the deadline of ${config.deadlineMs} ms`,
        },
      });
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            const body: unknown = await deadline.run(() =>
              client.request({
                method: call.method,
                path: `/${call.path}`,
                headers: token ? { 'X-Vault-Token': token } : {},
                timeout: config.timeoutMs,
                httpAgent: agents.http,
                httpsAgent: agents.https,
                ...(call.body ? { json: call.body } : {}),
              }),
            );
            return { ok: true, body };
          } catch (error) {
            if (deadline.expired) return late();
            const failure = describeFailure(error);
            if (attempt >= config.maxRetries || !isRetryable(failure, call.idempotent))
              return { ok: false, failure };
            if (!(await deadline.sleep(backoffMs(attempt)))) return late();
          }
        }
      } finally {
        deadline.clear();
      }
    },
    close() {
      agents.destroy();
    },
  };
}
