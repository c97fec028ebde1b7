/**
 * The JSON-lines audit sink `PHLOW_KEY_AUDIT_LOG` turns on: loud when it fails, never fatal.
 *
 * - Lines are batched and written with one `write(2)` per batch, on a short timer (AUDIT_FLUSH_INTERVAL_MS), when
 *   the batch grows large, at `flush()`/`close()` and at process exit: a write per event would cost a server
 *   that signs once per event-loop turn as much as a tenth of each signature.
 * - Every write goes through `fs.writeSync` on the descriptor, never through `process.stderr`: a stderr reader
 *   that goes away (EPIPE) is a failed write here, not an uncaught stream error that kills the process.
 * - A short write is continued; when the rest cannot be written, the lines not written whole are dropped and
 *   counted, and the next write starts with a newline, so a torn fragment stands alone (a malformed line that
 *   `phlow-keys audit` counts) and is never glued to the next record. On stderr each write holds at most
 *   PIPE_BUF bytes of whole lines, which a pipe writes atomically (audit-write.ts).
 * - Lost lines are counted (`stats()`), reported once on stderr, announced to every KeyManager using the sink
 *   (an `audit-loss` event at the start of each loss episode) and, once writing works again, recorded in the
 *   log itself as an `audit-loss` line with the count, so a reader of the log knows it has a gap.
 * - Refused tokens (a `verify` event that did not accept) are written one by one up to a budget per minute;
 *   beyond it they are counted per (store, outcome, code, caller) and written as one summary line per group
 *   with `count`, so a flood of forged tokens costs bounded disk while every refusal stays counted
 *   (audit-bound.ts).
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { intSetting } from './adapter/settings.js';
import { appendAuditLine, isoTime, type KeyAuditEvent, type KeyAuditSink } from './audit.js';
import { DEFAULT_AUDIT_REFUSED_PER_MINUTE, RefusedTokenBound } from './audit-bound.js';
import { LineBatch, PIPE_BUF, writeLines } from './audit-write.js';
import type { Env } from './contract.js';
import { escapeControlCharacters } from './control-characters.js';
import { KeyStoreError } from './errors.js';

export { DEFAULT_AUDIT_REFUSED_PER_MINUTE };

/** How long lines wait for their batch to be written. A process killed by a signal loses at most this much. */
export const AUDIT_FLUSH_INTERVAL_MS = 50;
/** A batch this large is written at once instead of waiting for the timer. */
const MAX_PENDING_BYTES = 256 * 1024;

export interface AuditSinkStats {
  /** `stderr` or the file path. */
  readonly target: string;
  /** Lines written (summaries and loss records included). */
  readonly written: number;
  /** Lines lost: not written (disk full, a closed pipe, a closed sink) or torn by a failed write. */
  readonly dropped: number;
  /** Refused-token events counted in a summary line instead of a line of their own. */
  readonly summarized: number;
  /** The error of the last failed write (ENOSPC, EPIPE, ...) while writes fail; undefined once one succeeds. */
  readonly failing: string | undefined;
  /** The refused-token budget this sink runs with. */
  readonly refusedPerMinute: number;
}

/** What a sink tells its KeyManagers when lines start being lost. */
export interface AuditLoss {
  readonly target: string;
  /** Lines lost so far by this sink (this process). */
  readonly lost: number;
  /** Why: the errno code of the failed write (ENOSPC, EPIPE, EAGAIN), or CLOSED. */
  readonly errorCode: string;
}

export interface JsonLinesAuditSink extends KeyAuditSink {
  readonly target: string;
  /** Lines lost so far (see `stats().dropped`). */
  readonly dropped: () => number;
  readonly stats: () => AuditSinkStats;
  /** Writes the pending lines now. True when nothing is left unwritten. */
  readonly flush: () => boolean;
  /** Writes the pending lines and the open refused-token summaries, and closes the file. Safe to call twice; later events are lost. */
  readonly close: () => void;
  /**
   * Writes `event` now, with the lines before it: the fail-closed path. False when it could not be written
   * (it is then counted as lost). A refused token within the summary bound counts as written.
   */
  readonly writeNow: (event: KeyAuditEvent) => boolean;
  /** True when writes work; after a failure, tries to write the owed loss record first. */
  readonly recover: () => boolean;
  /** Calls `listener` at the start of each loss episode; returns the unsubscribe. */
  readonly onLoss: (listener: (loss: AuditLoss) => void) => () => void;
}

export interface JsonLinesAuditSinkOptions {
  /** Refused-token lines written one by one per minute. Default: 600. Env: `PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE`. */
  readonly refusedPerMinute?: number;
  /** Clock for the refused-token minute, for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

function configError(why: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('INVALID_CONFIG', `PHLOW_KEY_AUDIT_LOG: ${why}`, { cause });
}

/** `stderr` (any case) or a file path; `stdout` is refused: audit lines would mix with the program's output. */
export function auditTarget(raw: string): string {
  const target = raw.trim();
  const lower = target.toLowerCase();
  if (lower === 'stderr') return 'stderr';
  if (lower === 'stdout' || target === '-' || lower === '/dev/stdout') {
    throw configError(
      'stdout is refused: audit lines would mix with the program output (the CLI prints its results and JSON there). Use "stderr" (container runtimes collect it as well) or a file path',
    );
  }
  return target;
}

/**
 * A sink writing JSON lines to `target`: `stderr` (any case), or a file path. The file is created with mode
 * 0600 and opened O_APPEND without following a symbolic link; an existing file must be a regular file of
 * this user, with one link, that no one else can read or write. Those checks throw INVALID_CONFIG here, at
 * start-up; writes never throw.
 */
export function createJsonLinesAuditSink(
  target: string,
  options: JsonLinesAuditSinkOptions = {},
): JsonLinesAuditSink {
  const name = auditTarget(target);
  const toStderr = name === 'stderr';
  let fd: number | undefined = toStderr ? 2 : openAuditFile(name);
  const chunkBytes = toStderr ? PIPE_BUF : Number.POSITIVE_INFINITY;
  const now = options.now ?? Date.now;
  const budget = options.refusedPerMinute ?? DEFAULT_AUDIT_REFUSED_PER_MINUTE;
  if (!Number.isSafeInteger(budget) || budget < 0) {
    throw configError('refusedPerMinute must be a whole number of at least 0');
  }

  /** Lines waiting for the next write, already encoded (audit-write.ts). */
  const pending = new LineBatch();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const torn = { value: false };
  let written = 0;
  let dropped = 0;
  let failing: string | undefined;
  let episodeLost = 0;
  let episodeSince = 0;
  let reported = false;
  const listeners = new Set<(loss: AuditLoss) => void>();

  const lost = (count: number, code: string) => {
    if (count <= 0) return;
    dropped += count;
    const starting = episodeLost === 0;
    episodeLost += count;
    failing = code;
    if (!starting) return;
    episodeSince = now();
    const loss: AuditLoss = { target: name, lost: dropped, errorCode: code };
    for (const listener of listeners) {
      try {
        listener(loss);
      } catch {}
    }
    if (!reported) {
      reported = true;
      reportOnStderr(name, code);
    }
  };

  const flush = (): boolean => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending.count === 0 && episodeLost === 0) return true;
    if (fd === undefined) {
      const count = pending.count;
      pending.clear();
      lost(count, 'CLOSED');
      return count === 0 && episodeLost === 0;
    }
    // After a loss, the log is told first how many lines it misses.
    const owed = episodeLost > 0 ? 1 : 0;
    if (owed) pending.unshift(lossRecord(now(), episodeSince, episodeLost, failing));
    const result = writeLines(fd, pending, chunkBytes, torn);
    if (owed && result.done > 0) {
      episodeLost = 0;
      failing = undefined;
    }
    written += result.done - (owed && result.done > 0 ? 1 : 0);
    // What is left are the lines not written (an unwritten loss record is made again next time).
    pending.shift(Math.max(result.done, owed));
    if (result.error === undefined) {
      failing = undefined;
      return true;
    }
    if (result.again && pending.bytes <= MAX_PENDING_BYTES) {
      // A full pipe (a slow reader): keep the lines for the next batch.
      failing = result.error;
      schedule();
      return false;
    }
    const unwritten = pending.count;
    pending.clear();
    lost(unwritten, result.error);
    return false;
  };

  const schedule = () => {
    if (timer !== undefined) return;
    timer = setTimeout(flush, AUDIT_FLUSH_INTERVAL_MS);
    timer.unref?.();
  };

  /** After a line was queued: a batch this large is written now, else on the timer. */
  const queued = () => {
    if (pending.bytes >= MAX_PENDING_BYTES) flush();
    else schedule();
  };

  const bound = new RefusedTokenBound(budget, now, (line) => {
    pending.push(line);
    queued();
  });

  /** Queues the line of `event`; false when it could not be formatted (counted as lost). */
  const append = (event: KeyAuditEvent): boolean => {
    const count = pending.count;
    const end = pending.end;
    try {
      appendAuditLine(event, pending);
      return true;
    } catch {
      // Nothing half-written stays queued.
      while (pending.count > count) pending.pop();
      pending.end = end;
      lost(1, 'FORMAT');
      return false;
    }
  };

  const sink = (event: KeyAuditEvent) => {
    if (bound.counts(event)) return;
    if (append(event)) queued();
  };

  const writeNow = (event: KeyAuditEvent): boolean => {
    if (bound.counts(event)) return true;
    if (!append(event)) return false;
    if (flush()) return true;
    if (pending.count > 0) {
      // Still waiting on a full pipe (the lines kept end with this one): not written now, which is what
      // fail-closed refuses.
      pending.pop();
      lost(1, failing ?? 'EAGAIN');
    }
    return false;
  };

  const final = () => {
    bound.close();
    if (flush() || pending.count === 0) return;
    // Still waiting on a full pipe at the end: these lines will never be written.
    const left = pending.count;
    pending.clear();
    lost(left, failing ?? 'EAGAIN');
  };
  const close = () => {
    final();
    finals.delete(final);
    if (fd === undefined) return;
    if (!toStderr) {
      try {
        closeSync(fd);
      } catch {}
    }
    fd = undefined;
  };
  hookExit();
  finals.add(final);

  return Object.assign(sink, {
    target: name,
    dropped: () => dropped,
    stats: (): AuditSinkStats => ({
      target: name,
      written,
      dropped,
      summarized: bound.summarized,
      failing,
      refusedPerMinute: budget,
    }),
    flush,
    close,
    writeNow,
    recover: () => failing === undefined || flush(),
    onLoss: (listener: (loss: AuditLoss) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  });
}

function lossRecord(nowMs: number, sinceMs: number, count: number, code: string | undefined): string {
  return `${JSON.stringify({ time: isoTime(nowMs), type: 'audit-loss', lost: count, errorCode: code ?? 'ERROR', since: new Date(sinceMs).toISOString() })}\n`;
}

function reportOnStderr(target: string, code: string): void {
  const message = `[phlow] audit: lines for the audit log ${target === 'stderr' ? 'on stderr' : JSON.stringify(escapeControlCharacters(target))} cannot be written (${code}); they are counted and key operations go on (PHLOW_KEY_AUDIT_FAIL_CLOSED=true refuses them instead). See KeyManager.auditStats or phlow-keys doctor; the log records the gap once it can be written again.\n`;
  try {
    writeSync(2, message);
  } catch {
    // stderr is gone too: the count and the event remain.
  }
}

function openAuditFile(path: string): number {
  const fail = (why: string, cause?: unknown) =>
    configError(
      `cannot use the audit log file: ${why}. Point it to a regular file of this user (mode 0600, one link) in a directory you own, or to "stderr"`,
      cause,
    );
  if (path === '' || path.includes('\0')) throw fail('the path is empty or holds a NUL byte');
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang start-up; it is refused below.
    fd = openSync(
      path,
      constants.O_WRONLY |
        constants.O_APPEND |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK,
      0o600,
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw fail(
      code === 'ELOOP'
        ? 'it is a symbolic link'
        : code === 'ENXIO'
          ? 'it is a FIFO or socket, not a regular file'
          : `it cannot be opened (${code ?? 'error'})`,
      error,
    );
  }
  const stat = fstatSync(fd);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  // A second link is a second name for the trail: whoever controls that name's directory can read or
  // replace what the log looks like from there. Refused, like a symbolic link.
  const problem = !stat.isFile()
    ? 'it is not a regular file'
    : stat.nlink > 1
      ? `it has ${stat.nlink} hard links`
      : (stat.mode & 0o077) !== 0
        ? `its mode is 0${(stat.mode & 0o777).toString(8)}, readable or writable by others (chmod 600 it)`
        : uid !== undefined && stat.uid !== uid
          ? 'it belongs to another user'
          : undefined;
  if (problem) {
    closeSync(fd);
    throw fail(problem);
  }
  return fd;
}

/** Final flushes of the open sinks, run once at process exit (one listener however many sinks). */
const finals = new Set<() => void>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const f of finals) f();
  });
}

/** One sink per target for the whole process, so many KeyManagers share one descriptor. */
const sinks = new Map<string, JsonLinesAuditSink>();

/**
 * The sink `PHLOW_KEY_AUDIT_LOG` names in `env`, or undefined when it is unset. The first KeyManager to use a
 * target creates it, with `PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE` from its environment.
 */
export function auditSinkFromEnv(env: Env): JsonLinesAuditSink | undefined {
  const raw = env.PHLOW_KEY_AUDIT_LOG?.trim();
  if (!raw) return undefined;
  const target = auditTarget(raw);
  let sink = sinks.get(target);
  if (!sink) {
    const refusedPerMinute = intSetting(
      undefined,
      env,
      'PHLOW_KEY_AUDIT_REFUSED_PER_MINUTE',
      DEFAULT_AUDIT_REFUSED_PER_MINUTE,
    );
    sink = createJsonLinesAuditSink(target, { refusedPerMinute });
    sinks.set(target, sink);
  }
  return sink;
}
