/**
 * The total deadline of one Vault call, retries included.
 *
 * The HTTP timeout (VAULT_CLIENT_TIMEOUT) is an idle-socket timeout: a server that sends one byte a second never
 * trips it, and would hold a key read, and through KeyManager's single flight every caller of that key, for
 * ever. A deadline counts from the start of the call and, when it passes, destroys the call's HTTP requests, so
 * the call ends UNAVAILABLE and KeyManager's stale-if-error can serve.
 *
 * node-vault builds the request, so the deadline cannot hand it an AbortSignal. The requests are found through
 * the agents instead (agent.ts): an agent's `addRequest` runs inside the async context of the call that made
 * the request, and registers the request with the deadline of that context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest } from 'node:http';

/** The socket-error code a request destroyed by its deadline fails with (see errors.ts). */
export const DEADLINE_CODE = 'PHLOW_VAULT_DEADLINE';

export interface Deadline {
  readonly ms: number;
  readonly expired: boolean;
  /** Runs `fn` so that the HTTP requests it makes are destroyed when the deadline passes. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits `ms`, or until the deadline, whichever is first; false when the deadline came first. */
  sleep(ms: number): Promise<boolean>;
  /** Stops the timer; call when the call is over. */
  clear(): void;
}

interface Tracked {
  readonly requests: Set<ClientRequest>;
  expired: boolean;
}

const context = new AsyncLocalStorage<Tracked>();

/** Called by the agents for every request: ties it to the deadline of the call that made it, if any. */
export function trackRequest(req: ClientRequest): void {
  const tracked = context.getStore();
  if (!tracked) return;
  if (tracked.expired) {
    req.destroy(deadlineError());
    return;
  }
  tracked.requests.add(req);
  req.once('close', () => tracked.requests.delete(req));
}

function deadlineError(): Error {
  return Object.assign(new Error('the call ran past its deadline'), { code: DEADLINE_CODE });
}

export function startDeadline(ms: number): Deadline {
  const tracked: Tracked = { requests: new Set(), expired: false };
  let wake: (() => void) | undefined;
  const timer = setTimeout(() => {
    tracked.expired = true;
    for (const req of tracked.requests) req.destroy(deadlineError());
    tracked.requests.clear();
    wake?.();
  }, ms);
  timer.unref();

  return {
    ms,
    get expired() {
      return tracked.expired;
    },
    run: (fn) => context.run(tracked, fn),
    sleep(wait) {
      if (tracked.expired) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          wake = undefined;
          resolve(true);
        }, wait);
        wake = () => {
          clearTimeout(t);
          resolve(false);
        };
      });
    },
    clear() {
      clearTimeout(timer);
    },
  };
}
