/**
 * The total deadline of one backend call, retries included (moved here from @phlow/keystore-vault).
 *
 * An HTTP timeout is an idle-socket timeout: a server that sends one byte a second never trips it, and would
 * hold a key read, and through KeyManager's single flight every caller of that key, for ever. A deadline counts
 * from the start of the call and, when it passes, aborts its signal and destroys the HTTP requests the call
 * made, so the call ends UNAVAILABLE and KeyManager's stale-if-error can serve.
 *
 * Clients that take an AbortSignal (the AWS SDK) get `signal`. Clients that build their own requests
 * (node-vault) cannot be handed one: their requests are found through the quiet agents instead
 * (quiet-agents.ts), whose `addRequest` runs inside the async context of the call that made the request and
 * registers the request with the deadline of that context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest } from 'node:http';
import type { KeyStoreError } from '../errors.js';

/** The socket-error code a request destroyed by its deadline fails with. */
export const DEADLINE_CODE = 'PHLOW_DEADLINE';

export interface Deadline {
  readonly ms: number;
  readonly expired: boolean;
  /** Aborted when the deadline passes: hand it to clients that take one. */
  readonly signal: AbortSignal;
  /** Runs `fn` so that the HTTP requests it makes through the quiet agents are destroyed when the deadline passes. */
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

/** Called by the quiet agents for every request: ties it to the deadline of the call that made it, if any. */
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

/**
 * The longest timer Node keeps (2^31 - 1 ms, about 24.8 days): setTimeout fires a longer one after 1 ms, so a
 * deadline of `30d` would cut every call at once. Longer deadlines are held at this one.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A deadline `ms` from now (at most about 24.8 days). The timer does not keep the process alive. */
export function startDeadline(ms: number): Deadline {
  const tracked: Tracked = { requests: new Set(), expired: false };
  const controller = new AbortController();
  const sleepers = new Set<() => void>();
  const timer = setTimeout(
    () => {
      tracked.expired = true;
      for (const req of tracked.requests) req.destroy(deadlineError());
      tracked.requests.clear();
      controller.abort(deadlineError());
      for (const wake of sleepers) wake();
      sleepers.clear();
    },
    Math.min(ms, MAX_TIMER_MS),
  );
  timer.unref();

  return {
    ms,
    get expired() {
      return tracked.expired;
    },
    signal: controller.signal,
    run: (fn) => context.run(tracked, fn),
    sleep(wait) {
      if (tracked.expired) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          resolve(false);
        };
        const t = setTimeout(
          () => {
            sleepers.delete(wake);
            resolve(true);
          },
          Math.min(wait, MAX_TIMER_MS),
        );
        sleepers.add(wake);
      });
    },
    clear() {
      clearTimeout(timer);
    },
  };
}

/**
 * `run(signal)` within a total deadline of `ms`: when it passes, the signal aborts, the call's requests through
 * the quiet agents are destroyed, and the returned promise rejects with `what()` (an UNAVAILABLE error that
 * names the deadline setting) at once, whether or not `run` has noticed. A failure of `run` after the deadline
 * is reported as `what()` too: whatever the client made of the abort, the deadline is why.
 */
export async function withDeadline<T>(
  ms: number,
  run: (signal: AbortSignal) => Promise<T>,
  what: () => KeyStoreError,
): Promise<T> {
  const deadline = startDeadline(ms);
  let onExpiry: (() => void) | undefined;
  const expiry = new Promise<never>((_, reject) => {
    onExpiry = () => reject(what());
    deadline.signal.addEventListener('abort', onExpiry, { once: true });
  });
  // The race may be lost by `run`: its late rejection is handled here.
  const call = deadline.run(() => run(deadline.signal));
  call.catch(() => {});
  try {
    return await Promise.race([call, expiry]);
  } catch (error) {
    if (deadline.expired) throw what();
    throw error;
  } finally {
    deadline.clear();
    if (onExpiry) deadline.signal.removeEventListener('abort', onExpiry);
    expiry.catch(() => {});
  }
}
