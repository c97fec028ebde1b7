/**
 * The refused-token bound of the audit sink: a forged token is cheap to send and each refusal was a line of
 * 157-179 bytes, so a flood could fill a disk (10-26 GB an hour per core). A `verify` event that did not
 * accept is written on its own line up to a budget per minute; beyond it, refusals are counted per (store,
 * outcome, error code, caller), and at the end of the minute (or at flush on exit) one summary line per group
 * carries the count. Groups are bounded too, since a caller name can come from a request. Accepted work is
 * never bounded, and every refusal stays counted.
 */
import type { KeyAuditEvent } from './audit.js';
import { escapeControlCharacters } from './control-characters.js';

/** Refused-token lines written one by one per minute before they are only counted. */
export const DEFAULT_AUDIT_REFUSED_PER_MINUTE = 600;
const WINDOW_MS = 60_000;
/** Distinct summary lines per minute; further groups are merged into one without caller and code. */
const MAX_GROUPS = 32;

/** A `verify` that did not accept: `valid: false`, or a failed or denied verification. */
export const isRefusal = (e: KeyAuditEvent): boolean =>
  e.operation === 'verify' && !(e.outcome === 'success' && e.valid !== false);

export class RefusedTokenBound {
  /** Refusals counted in a summary instead of written on their own line. */
  summarized = 0;
  readonly #budget: number;
  readonly #now: () => number;
  /** Where summary lines go (the sink's batch). */
  readonly #write: (line: string) => void;
  #windowStart: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #single = 0;
  readonly #groups = new Map<string, { event: KeyAuditEvent; count: number }>();

  constructor(budget: number, now: () => number, write: (line: string) => void) {
    this.#budget = budget;
    this.#now = now;
    this.#write = write;
  }

  /** True when `event` is a refusal past this minute's budget: counted, not to be written on its own. */
  counts(event: KeyAuditEvent): boolean {
    if (!isRefusal(event)) return false;
    const t = this.#now();
    if (this.#windowStart === undefined || t - this.#windowStart >= WINDOW_MS) {
      this.close();
      this.#windowStart = t;
      this.#single = 0;
      this.#timer = setTimeout(() => this.close(), WINDOW_MS);
      this.#timer.unref?.();
    }
    if (this.#single < this.#budget) {
      this.#single++;
      return false;
    }
    let key = `${event.storeType}\0${event.outcome}\0${event.errorCode ?? ''}\0${event.caller ?? ''}`;
    if (!this.#groups.has(key) && this.#groups.size >= MAX_GROUPS - 1) key = 'other';
    const group = this.#groups.get(key);
    if (group) group.count++;
    else {
      const shape = key === 'other' ? { ...event, errorCode: undefined, caller: undefined } : event;
      this.#groups.set(key, { event: shape, count: 1 });
    }
    this.summarized++;
    return true;
  }

  /** Ends the current minute: writes its summary lines. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const since = this.#windowStart;
    if (since === undefined) return;
    this.#windowStart = undefined;
    for (const { event, count } of this.#groups.values()) {
      this.#write(summaryLine(event, count, since, this.#now()));
    }
    this.#groups.clear();
  }
}

function summaryLine(event: KeyAuditEvent, count: number, sinceMs: number, nowMs: number): string {
  const record = {
    time: new Date(nowMs).toISOString(),
    operation: event.operation,
    outcome: event.outcome,
    storeType: event.storeType,
    errorCode: event.errorCode,
    caller: event.caller,
    valid: event.valid,
    count,
    since: new Date(sinceMs).toISOString(),
  };
  return `${escapeControlCharacters(JSON.stringify(record))}\n`;
}
