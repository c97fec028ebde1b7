/**
 * The KMS client and the one way every request goes out: through the adapter kit's quiet agents (NODE_DEBUG
 * never prints the `Authorization` credential or the session token) and within the kit's total deadline (the
 * SDK's timeouts are per attempt and idle-socket ones: an endpoint trickling its answer would hold a signature
 * for ever). Failures become KeyStoreErrors in errors.ts.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { KeyStoreError } from '@phlow/keys-core';
import { createQuietAgents, withDeadline } from '@phlow/keys-core/adapter';
import { TYPE } from './aliases.js';
import { toKeyStoreError } from './errors.js';
import type { KmsConfig } from './options.js';

export interface SendOptions {
  readonly abortSignal: AbortSignal;
}

export interface KmsTransport {
  /** One request (`run` sends it with the options given), SDK retries included, within the deadline. */
  send<T>(
    doing: string,
    keyId: string | undefined,
    run: (client: KMSClient, options: SendOptions) => Promise<T>,
  ): Promise<T>;
  /** Closes the kept-alive connections. */
  destroy(): void;
}

export function createKmsTransport(config: KmsConfig): KmsTransport {
  const agents = createQuietAgents();
  const client = new KMSClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: config.maxAttempts,
    requestHandler: {
      requestTimeout: config.timeoutMs,
      connectionTimeout: config.timeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: agents.http,
      httpsAgent: agents.https,
    },
  });
  const late = (doing: string, keyId: string | undefined) => () =>
    new KeyStoreError(
      'UNAVAILABLE',
      `${doing} failed: KMS${config.endpoint ? ` at ${config.endpoint}` : ''} did not finish answering within the deadline of ${config.deadlineMs} ms. Retry later; check the endpoint and the network, or raise PHLOW_AWS_KMS_DEADLINE_MS`,
      { storeType: TYPE, keyId },
    );
  return {
    async send(doing, keyId, run) {
      try {
        return await withDeadline(
          config.deadlineMs,
          (abortSignal) => run(client, { abortSignal }),
          late(doing, keyId),
        );
      } catch (error) {
        throw toKeyStoreError(error, doing, keyId);
      }
    },
    destroy() {
      client.destroy();
      agents.destroy();
    },
  };
}
