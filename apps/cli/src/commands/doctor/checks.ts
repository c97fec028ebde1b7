/**
 * A list of timed checks for `doctor`: each runs, is timed, and ends ok, warn, fail or skip with one line of
 * detail. A failure carries the error's code and message and the guide's advice; a check slower than
 * SLOW_MS is flagged with the guide's "Performance Issues" advice.
 */
import { performance } from 'node:perf_hooks';
import { SLOW_MS } from './limits.js';
import { type Advice, adviceFor, PERFORMANCE } from './troubleshooting.js';

const BLOCKING = new Set([
  'ACCESS_DENIED',
  'UNAVAILABLE',
  'INVALID_CONFIG',
  'INTEGRITY',
  'ADAPTER_NOT_FOUND',
]);

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** Wall time of the step, when it ran. */
  readonly ms?: number;
  readonly slow?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly advice?: Advice;
  /** A failure of this check does not stop the later ones (a permission one operation needs, others may not). */
  readonly contained?: boolean;
}

export interface Outcome<T> {
  readonly value?: T;
  readonly detail: string;
  readonly status?: 'ok' | 'warn' | 'fail';
  readonly advice?: Advice;
}

export class Checks {
  readonly results: CheckResult[] = [];
  #storeType = '';

  /** The store type used to pick store-specific advice. */
  setStoreType(type: string): void {
    this.#storeType = type;
  }

  get failed(): boolean {
    return this.results.some((r) => r.status === 'fail');
  }

  /**
   * The first failure that every later step against the store would repeat (credentials refused, store
   * unreachable, bad configuration, unreadable data), so that it is reported once instead of on every step.
   */
  get blocking(): CheckResult | undefined {
    return this.results.find(
      (r) =>
        r.status === 'fail' &&
        BLOCKING.has(r.error?.code ?? '') &&
        (!r.contained || this.#wholeStore(r.error?.code ?? '')),
    );
  }

  /**
   * A failure that is about the whole store whichever operation met it: the encrypted file is one file, so a
   * listing that finds it damaged (INTEGRITY) or not opened by the master key (ACCESS_DENIED) tells what every
   * read would find. Elsewhere listing may need a permission that reading does not, so it stays contained.
   */
  #wholeStore(code: string): boolean {
    return this.#storeType === 'encrypted_file' && (code === 'INTEGRITY' || code === 'ACCESS_DENIED');
  }

  skip(name: string, detail: string): void {
    this.results.push({ name, status: 'skip', detail });
  }

  /**
   * Runs `step`; returns its value, or undefined when it threw (recorded as a failure) or was skipped.
   * `dependsOnStore` (default true): skipped after a blocking failure. `contained`: its own failure blocks
   * nothing (listing needs a permission that reading and writing do not).
   */
  async run<T>(
    name: string,
    step: () => Promise<Outcome<T>>,
    options: { dependsOnStore?: boolean; contained?: boolean } = {},
  ): Promise<T | undefined> {
    const blocked = options.dependsOnStore === false ? undefined : this.blocking;
    if (blocked) {
      this.skip(name, `skipped: ${blocked.name} failed`);
      return undefined;
    }
    const start = performance.now();
    try {
      const outcome = await step();
      const ms = Math.round(performance.now() - start);
      const slow = ms > SLOW_MS;
      const status = outcome.status ?? 'ok';
      this.results.push({
        name,
        status: slow && status === 'ok' ? 'warn' : status,
        detail: slow ? `${outcome.detail} (slow: ${ms} ms)` : outcome.detail,
        ms,
        slow,
        ...(outcome.advice ? { advice: outcome.advice } : slow ? { advice: PERFORMANCE } : {}),
      });
      return outcome.value;
    } catch (error) {
      const ms = Math.round(performance.now() - start);
      const e = error as { code?: unknown; message?: unknown };
      const code = typeof e.code === 'string' ? e.code : 'ERROR';
      const message = typeof e.message === 'string' ? e.message : String(error);
      const advice = adviceFor(code, this.#storeType);
      this.results.push({
        name,
        status: 'fail',
        detail: code,
        ms,
        error: { code, message },
        ...(advice ? { advice } : {}),
        ...(options.contained ? { contained: true } : {}),
      });
      return undefined;
    }
  }
}
