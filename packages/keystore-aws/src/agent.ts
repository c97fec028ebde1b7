/**
 * The HTTP(S) connection agents the Secrets Manager client sends through, built so that `NODE_DEBUG=http,net`
 * does not print AWS credentials.
 *
 * Node's agent logs the options of every connection it opens (`createConnection ...` under NODE_DEBUG=http, and
 * net logs them again under NODE_DEBUG=net), and the SDK's NodeHttpHandler passes the request headers in those
 * options: `Authorization` (access key id and signature) and `X-Amz-Security-Token` (the session token). An
 * agent needs only the address and TLS settings of a request, never its headers, so these agents drop `headers`
 * from the options before Node sees them. The headers still go on the wire: ClientRequest writes them itself.
 * (The same idea as @phlow/keystore-vault's agent.ts: adapters do not depend on each other.)
 */
import { type ClientRequest, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Node's (undocumented, stable since 0.x) hook through which every request asks its agent for a socket. */
type AddRequest = (req: ClientRequest, options: Record<string, unknown> | undefined) => void;

function quiet<A extends HttpAgent>(agent: A): A {
  const target = agent as unknown as { addRequest: AddRequest };
  const addRequest = target.addRequest;
  target.addRequest = function (this: A, req, options) {
    const { headers: _headers, ...rest } = options ?? {};
    addRequest.call(this, req, rest);
  };
  return agent;
}

export interface QuietAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  destroy(): void;
}

/** One agent per scheme, with the settings the SDK gives its own (keep-alive, at most 50 sockets). */
export function createQuietAgents(): QuietAgents {
  const http = quiet(new HttpAgent({ keepAlive: true, maxSockets: 50 }));
  const https = quiet(new HttpsAgent({ keepAlive: true, maxSockets: 50 }));
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}
