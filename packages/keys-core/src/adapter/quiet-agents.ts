/**
 * HTTP(S) connection agents that keep credentials out of `NODE_DEBUG=http,net` output (moved here from
 * @phlow/keystore-vault and @phlow/keystore-aws, which had one copy each).
 *
 * Node's agent logs the options of every connection it opens (`createConnection ...` under NODE_DEBUG=http,
 * and net logs them again under NODE_DEBUG=net), and clients pass the request headers in those options:
 * `X-Vault-Token`, or the AWS SDK's `Authorization` and `X-Amz-Security-Token`. An agent needs only the address
 * and TLS settings of a request, never its headers or `auth`, so these agents drop both before Node sees them.
 * The headers still go on the wire: ClientRequest writes them itself.
 *
 * The same hook ties each request to the deadline of the call that made it (deadline.ts), so a client that
 * cannot take an AbortSignal still has its requests destroyed at the deadline.
 *
 * Every agent has a socket limit (`maxSockets`, default DEFAULT_MAX_SOCKETS = 50 per origin, the AWS SDK's own
 * default): a burst of reads queues in the agent instead of opening one socket (one file descriptor) per
 * request. Without it, 5,000 forged tokens once made 4,962 concurrent Vault requests, and under
 * `ulimit -n 1024` a legitimate verification failed with EMFILE. 50 leaves room for the rest of a process
 * under that limit and is far above what one KeyManager needs (reads of one id share one request).
 */
import type { ClientRequest, Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';
import { trackRequest } from './deadline.js';

// node:http and node:https are loaded when the first agents are made, not when the kit is imported: every
// store imports the kit, and on Node 22 node:https pulls in undici (~30 ms of CPU at start-up for a CLI
// command or a file-store process that never opens a connection). process.getBuiltinModule exists on every
// Node this package supports (20.16+, 22.3+) and in bundles, where a createRequire would not.
const builtin = <T>(id: string): T => process.getBuiltinModule(id) as T;

/** Node's (undocumented, stable since 0.x) hook through which every request asks its agent for a socket. */
type AddRequest = (req: ClientRequest, options: Record<string, unknown> | undefined) => void;

function quiet<A extends HttpAgent>(agent: A): A {
  const target = agent as unknown as { addRequest: AddRequest };
  const addRequest = target.addRequest;
  target.addRequest = function (this: A, req, options) {
    const { headers: _headers, auth: _auth, ...rest } = options ?? {};
    trackRequest(req);
    addRequest.call(this, req, rest);
  };
  return agent;
}

export interface QuietAgentOptions {
  /** TLS settings of HTTPS connections (ca, cert, key, rejectUnauthorized). Default: Node's. */
  readonly tls?: HttpsAgentOptions;
  /** Most sockets per origin, a whole number of 1 or more. Default: DEFAULT_MAX_SOCKETS (50, the AWS SDK's own setting). */
  readonly maxSockets?: number;
}

export interface QuietAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** Closes the kept-alive connections. */
  destroy(): void;
}

/** The socket limit per origin of every store's agents, unless a store passes its own. */
export const DEFAULT_MAX_SOCKETS = 50;

/** One keep-alive agent per scheme, each with a socket limit. */
export function createQuietAgents(options: QuietAgentOptions = {}): QuietAgents {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  if (!Number.isSafeInteger(maxSockets) || maxSockets < 1) {
    // Node's agent would take Infinity (no limit) or throw later; a limit is the point.
    throw new RangeError('createQuietAgents: maxSockets must be a whole number >= 1');
  }
  const { Agent: Http } = builtin<typeof import('node:http')>('node:http');
  const { Agent: Https } = builtin<typeof import('node:https')>('node:https');
  const http = quiet(new Http({ keepAlive: true, maxSockets }));
  const https = quiet(new Https({ keepAlive: true, maxSockets, ...options.tls }));
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}
