/**
 * The Secrets Manager client: built from the resolved options, or the caller's own, plus a `send` that
 * remembers which endpoint a failed request went to (so an UNAVAILABLE error can name it).
 *
 * Region, credentials and endpoint overrides are left to the SDK's own resolution. The HTTP handler gets
 * bounded timeouts, with `throwOnRequestTimeout`: without it the SDK only logs a warning when a request
 * runs past its time limit and keeps waiting, so an endpoint that accepts connections but never answers
 * would hang a key read. Its agents (the adapter kit's quiet agents) drop request headers from what
 * NODE_DEBUG=http prints, and hold at most MAX_SOCKETS sockets per endpoint: the SDK's handler takes the
 * agents as they are, so their limit is the client's (a flood of reads queues instead of opening one socket
 * per request). The count is checked at a TCP proxy in apps/cli/test/verify-flood.test.ts.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createQuietAgents } from '@phlow/keys-core/adapter';
import { rememberEndpoint } from './errors.js';
import type { AwsConfig } from './options.js';

/**
 * Sockets per endpoint of the client this adapter builds (a caller's own `client` keeps its own setting): the
 * SDK's default and the kit's, written out so that it does not depend on which core is installed.
 */
export const MAX_SOCKETS = 50;

export function createClient(config: AwsConfig): { client: SecretsManagerClient; owned: boolean } {
  if (config.client) return { client: config.client, owned: false };
  const agents = createQuietAgents({ maxSockets: MAX_SOCKETS });
  const client = new SecretsManagerClient({
    ...(config.region !== undefined ? { region: config.region } : {}),
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.maxAttempts !== undefined ? { maxAttempts: config.maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: agents.http,
      httpsAgent: agents.https,
    },
  });
  return { client, owned: true };
}

interface TrackedRequest {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
}

type Next = (args: { request: unknown }) => Promise<unknown>;

/** Build-step middleware: the request is signed-ready and its URL final; it wraps every retry attempt. */
const trackEndpoint = (next: Next) => async (args: { request: unknown }) => {
  try {
    return await next(args);
  } catch (error) {
    const request = args.request as TrackedRequest | undefined;
    if (request?.hostname) {
      rememberEndpoint(
        error,
        `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`,
      );
    }
    throw error;
  }
};

interface SendableCommand {
  readonly middlewareStack: { add(middleware: never, options: { step: 'build'; name: string }): void };
}

/** Adds endpoint tracking to one command (the caller's client is never modified). */
export function tracked<C extends SendableCommand>(command: C): C {
  command.middlewareStack.add(trackEndpoint as never, { step: 'build', name: 'phlowTrackEndpoint' });
  return command;
}
