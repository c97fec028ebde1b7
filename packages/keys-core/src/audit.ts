/**
 * Audit events: one record per key access (who used which key, how, with what outcome), and the JSON-lines
 * sink that `PHLOW_KEY_AUDIT_LOG` turns on.
 *
 * An event carries names, ids, times and codes only. Key material, tokens, messages and signatures never
 * enter it: the only trace of a message is its SHA-256, and only when the application opts in. A key id
 * that failed the id rule is left out (it could be a PEM pasted where a name was expected), and the caller
 * identity is cut to a bounded length.
 *
 * The sink writes the events of one event-loop turn as whole lines with one `write` on a file opened
 * O_APPEND, so processes sharing one log interleave whole lines. A failed write is counted and dropped: auditing must never break signing.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import type { Env } from './contract.js';
import { isKeyStoreError, KeyStoreError } from './errors.js';
import { isValidKeyId } from './key-id.js';

export type KeyAuditOperation =
  | 'generate'
  | 'store'
  /** Private key material handed to the caller (`getKeyPair`, `getSigningKey`, `refresh`; the CLI's `get --private`). */
  | 'read'
  | 'sign'
  | 'verify'
  | 'rotate'
  /** Emergency rotation that destroys every previous version (`revokePrevious`). */
  | 'revoke'
  | 'delete'
  | 'destroy'
  | 'migrate'
  | 'rekey';

/** `denied`: the store refused the credentials (ACCESS_DENIED); `failure`: any other error. */
export type KeyAuditOutcome = 'success' | 'failure' | 'denied';

export interface KeyAuditEvent {
  readonly type: 'audit';
  /** ISO 8601 time the operation finished. */
  readonly time: string;
  readonly operation: KeyAuditOperation;
  readonly outcome: KeyAuditOutcome;
  /** `PHLOW_KEY_STORE_TYPE` of the store used. */
  readonly storeType: string;
  /** Left out when the id broke the id rule. */
  readonly keyId?: string;
  /** RFC 7638 thumbprint of the key used or written, where known. */
  readonly kid?: string;
  /** Store version of that key, where known. */
  readonly version?: string;
  /**
   * `KeyStoreError` code of a failure; `ERROR` for an error without one. For a token `verifyJwt` refused
   * (`valid: false`), the `JwtError` code that says why (`EXPIRED`, `SIGNATURE_INVALID`, ...).
   */
  readonly errorCode?: string;
  /** Wall time of the operation, milliseconds. */
  readonly durationMs: number;
  /** Whether the key came from this process's cache or was read from the store. */
  readonly source?: 'cache' | 'store';
  /** Identity the application passed (`KeyManagerOptions.caller` or a per-call `caller`). */
  readonly caller?: string;
  /** True when private key material was handed out. */
  readonly private?: boolean;
  /** Verification result (`verify` only; outcome stays `success` for a signature that does not verify). */
  readonly valid?: boolean;
  /** Which step of a rotation: written and waiting (`staged`), now signing (`activated`), or at once (`emergency`). */
  readonly rotation?: 'staged' | 'activated' | 'emergency';
  /** SHA-256 (hex) of the signed or verified message, only with `auditMessageHash: true`. */
  readonly messageSha256?: string;
  /** What ran the operation when it was not the library itself (`phlow-keys`). */
  readonly tool?: string;
  /** Store type of the other side of a migration. */
  readonly targetStoreType?: string;
}

/** Longest caller identity kept; longer ones are cut. */
export const MAX_CALLER_LENGTH = 200;
/** Longest line the sink writes; events are far shorter, this only bounds a broken one. */
export const MAX_AUDIT_LINE_BYTES = 4096;
/** Lines held for the end of the event-loop turn before they are written at once. */
const MAX_PENDING_BYTES = 256 * 1024;

/** The outcome and code of a failed operation. */
export function auditFailure(error: unknown): { outcome: KeyAuditOutcome; errorCode: string } {
  if (isKeyStoreError(error)) {
    return { outcome: error.code === 'ACCESS_DENIED' ? 'denied' : 'failure', errorCode: error.code };
  }
  return { outcome: 'failure', errorCode: 'ERROR' };
}

/** A key id fit for a record: only ids that pass the id rule. */
export function auditKeyId(keyId: unknown): string | undefined {
  return typeof keyId === 'string' && isValidKeyId(keyId) ? keyId : undefined;
}

/** A caller identity fit for a record: a string, control characters removed, bounded. */
export function auditCaller(caller: unknown): string | undefined {
  if (typeof caller !== 'string' || caller === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return caller.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_CALLER_LENGTH);
}

/** Receives audit events. Must not throw (KeyManager and the CLI guard against it anyway). */
export type KeyAuditSink = (event: KeyAuditEvent) => void;

export interface JsonLinesAuditSink extends KeyAuditSink {
  /** Lines that could not be written (disk full, closed descriptor). */
  readonly dropped: () => number;
  /** Writes the lines held for the end of this event-loop turn now. */
  readonly flush: () => void;
  /** Closes the file. Safe to call twice; later events are dropped. */
  readonly close: () => void;
}

/** What JSON.stringify would escape in a string: quotes, backslashes, control characters, surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `,"name":value` for a string, boolean or finite number; nothing for undefined; null for anything else. */
function member(name: string, value: unknown): string {
  if (value === undefined) return '';
  const json =
    typeof value === 'string'
      ? NEEDS_ESCAPE.test(value)
        ? JSON.stringify(value)
        : `"${value}"`
      : typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
        ? String(value)
        : 'null';
  return `,"${name}":${json}`;
}

/**
 * One JSON line for `event`, at most MAX_AUDIT_LINE_BYTES: only the fields of the event type, in a fixed
 * order, so nothing else an object carries can leak. Built field by field (strings through JSON.stringify
 * only when they need escaping) because it runs once per signature when the sink is on.
 */
export function auditLine(event: KeyAuditEvent): string {
  const body = `${member('time', event.time)}${member('operation', event.operation)}${member('outcome', event.outcome)}${member('storeType', event.storeType)}${member('keyId', event.keyId)}${member('kid', event.kid)}${member('version', event.version)}${member('errorCode', event.errorCode)}${member('durationMs', event.durationMs)}${member('source', event.source)}${member('caller', event.caller)}${member('private', event.private)}${member('valid', event.valid)}${member('rotation', event.rotation)}${member('messageSha256', event.messageSha256)}${member('tool', event.tool)}${member('targetStoreType', event.targetStoreType)}`;
  const line = `{${body.slice(1)}}\n`; // every member starts with a comma: drop the first
  // A UTF-16 length of a third of the bound cannot exceed it in UTF-8; only longer lines are measured.
  if (line.length * 3 <= MAX_AUDIT_LINE_BYTES || Buffer.byteLength(line) <= MAX_AUDIT_LINE_BYTES) return line;
  return `${JSON.stringify({ time: event.time, operation: event.operation, outcome: event.outcome, storeType: String(event.storeType).slice(0, 64), truncated: true })}\n`;
}

let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, remembered for the last millisecond: many events share one. */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * A sink writing JSON lines to `target`: `stderr`, or a file path. The file is created with mode 0600 and
 * opened O_APPEND without following a symbolic link; an existing file must be a regular file of this user
 * that no one else can read or write. Those checks throw INVALID_CONFIG here, at start-up; writes never throw.
 */
export function createJsonLinesAuditSink(target: string): JsonLinesAuditSink {
  let dropped = 0;
  if (target === 'stderr') {
    const sink = (event: KeyAuditEvent) => {
      try {
        process.stderr.write(auditLine(event));
      } catch {
        dropped++;
      }
    };
    return Object.assign(sink, { dropped: () => dropped, flush: () => {}, close: () => {} });
  }
  let fd: number | undefined = openAuditFile(target);
  // Lines of one turn of the event loop go out in one write, after it: a write per event would cost as
  // much as the signature it records. A crash loses at most that turn's lines; `exit` flushes the rest.
  let pending = '';
  let pendingLines = 0;
  const flush = () => {
    if (pendingLines === 0) return;
    const chunk = pending;
    const lines = pendingLines;
    pending = '';
    pendingLines = 0;
    if (fd === undefined) {
      dropped += lines;
      return;
    }
    try {
      writeSync(fd, chunk);
    } catch {
      dropped += lines;
    }
  };
  const sink = (event: KeyAuditEvent) => {
    let line: string;
    try {
      line = auditLine(event);
    } catch {
      dropped++;
      return;
    }
    if (pendingLines === 0) setImmediate(flush).unref();
    pending += line;
    pendingLines++;
    if (pending.length >= MAX_PENDING_BYTES) flush();
  };
  const close = () => {
    flush();
    flushOnExit.delete(flush);
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {}
    fd = undefined;
  };
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const f of flushOnExit) f();
    });
  }
  flushOnExit.add(flush);
  return Object.assign(sink, { dropped: () => dropped, flush, close });
}

function openAuditFile(path: string): number {
  const fail = (why: string, cause?: unknown) =>
    new KeyStoreError(
      'INVALID_CONFIG',
      `PHLOW_KEY_AUDIT_LOG: cannot use the audit log file: ${why}. Point it to a regular file of this user (mode 0600) in a directory you own, or to "stderr"`,
      { cause },
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
  const problem = !stat.isFile()
    ? 'it is not a regular file'
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

/** Flushes of the open file sinks, run once at process exit (one listener however many sinks). */
const flushOnExit = new Set<() => void>();
let exitHooked = false;

/** One sink per target for the whole process, so many KeyManagers share one descriptor. */
const sinks = new Map<string, JsonLinesAuditSink>();

/** The sink `PHLOW_KEY_AUDIT_LOG` names in `env`, or undefined when it is unset. */
export function auditSinkFromEnv(env: Env): JsonLinesAuditSink | undefined {
  const target = env.PHLOW_KEY_AUDIT_LOG?.trim();
  if (!target) return undefined;
  let sink = sinks.get(target);
  if (!sink) {
    sink = createJsonLinesAuditSink(target);
    sinks.set(target, sink);
  }
  return sink;
}
