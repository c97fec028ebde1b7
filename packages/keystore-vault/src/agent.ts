/**
 * The HTTP(S) connection agents the Vault transport sends through, built so that `NODE_DEBUG=http,net` does not
 * print the Vault token.
 *
 * Node's agent logs the options of every connection it opens (`createConnection ...` under NODE_DEBUG=http, and
 * net logs them again under NODE_DEBUG=net), and axios passes the request headers in those options, the
 * `X-Vault-Token` header among them. An agent needs only the address and TLS settings of a request, never its
 * headers, so these agents drop `headers` from the options before Node sees them. The headers still go on the
 * wire: ClientRequest writes them itself.
 *
 * The same hook ties each request to the deadline of the call that made it (deadline.ts).
 */
import { type ClientRequest, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { trackRequest } from './deadline.js';

/** Node's (undocumented, stable since 0.x) hook through which every request asks its agent for a socket. */
type AddRequest = (req: ClientRequest, options: Record<string, unknown> | undefined) => void;

function quiet<A extends HttpAgent>(agent: A): A {
  const target = agent as unknown as { addRequest: AddRequest };
  const addRequest = target.addRequest;
  target.addRequest = function (this: A, req, options) {
    const { headers: _headers, ...rest } = options ?? {};
    trackRequest(req);
    addRequest.call(this, req, rest);
  };
  return agent;
}

export interface QuietAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  destroy(): void;
}

/** One keep-alive agent per scheme; `tls` applies to HTTPS connections. */
export function createQuietAgents(tls: HttpsAgentOptions): QuietAgents {
  const http = quiet(new HttpAgent({ keepAlive: true }));
  const https = quiet(new HttpsAgent({ keepAlive: true, ...tls }));
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}
