// Types of http.mjs.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export function forwardTo(upstream: string, req: IncomingMessage, res: ServerResponse): void;
export function trickleAnswer(res: ServerResponse, contentType: string): void;
export function listenOnLoopback(
  handler: RequestListener,
): Promise<{ readonly address: string; close(): Promise<void> }>;

export interface TrickleServer {
  readonly address: string;
  /** While on, every request is answered 200 without reaching upstream, one byte of body a second, never ending. */
  trickle(on: boolean): void;
  close(): Promise<void>;
}
export function startTrickleServer(upstream: string, contentType: string): Promise<TrickleServer>;
