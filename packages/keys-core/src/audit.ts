/**
 * Audit events: one record per key access (who used which key, how, with what outcome), and the one JSON line
 * each becomes in the sink that `PHLOW_KEY_AUDIT_LOG` turns on (audit-sink.ts).
 *
 * An event carries names, ids, times and codes only. Key material, tokens, messages and signatures never
 * enter it: the only trace of a message is its SHA-256, and only when the application opts in. A key id
 * that failed the id rule is left out (it could be a PEM pasted where a name was expected), and the caller
 * identity is cut to a bounded length.
 *
 * Every string field of a line has its control and bidi characters escaped (control-characters.ts), so a
 * log shown on a terminal does only what its text says. The sink that writes the lines is audit-sink.ts.
 */

import type { LineBatch } from './audit-write.js';
import {
  CONTROL_CHARACTERS,
  escapeControlCharacters,
  removeControlCharacters,
} from './control-characters.js';
import { isKeyStoreError } from './errors.js';
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

/** A caller identity fit for a record: a string, control and bidi characters removed, bounded. */
export function auditCaller(caller: unknown): string | undefined {
  if (typeof caller !== 'string' || caller === '') return undefined;
  return removeControlCharacters(caller).slice(0, MAX_CALLER_LENGTH);
}

/** Receives audit events. Must not throw (KeyManager and the CLI guard against it anyway). */
export type KeyAuditSink = (event: KeyAuditEvent) => void;

/**
 * Audit lines were lost: the `PHLOW_KEY_AUDIT_LOG` sink could not write them (disk full, a closed stderr
 * pipe). Emitted on `onEvent` at the start of each loss episode; `KeyManager.auditStats` keeps the counts.
 */
export interface KeyAuditLossEvent {
  readonly type: 'audit-loss';
  /** `stderr` or the log file's path. */
  readonly target: string;
  /** Lines this process has lost on that target so far. */
  readonly lost: number;
  /** The errno code of the failed write (`ENOSPC`, `EPIPE`, `EAGAIN`), or `CLOSED`. */
  readonly errorCode: string;
}

/** What needs escaping in a string: quotes, backslashes, surrogates, control and bidi characters. */
const NEEDS_ESCAPE = new RegExp(`["\\\\\\ud800-\\udfff]|${CONTROL_CHARACTERS.source}`);

/** The JSON of a member's value: a string (escaped only when it needs it), a boolean or finite number; else null. */
function json(value: unknown): string {
  return typeof value === 'string'
    ? NEEDS_ESCAPE.test(value)
      ? escapeControlCharacters(JSON.stringify(value))
      : `"${value}"`
    : typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
      ? String(value)
      : 'null';
}

/** `,"name":value` (see `json`); nothing for undefined. */
function member(name: string, value: unknown): string {
  return value === undefined ? '' : `,"${name}":${json(value)}`;
}

/** `.001` to `.999` without trailing zeros (index 0: empty), made on first use. */
let fractions: string[] | undefined;

/**
 * `String(ms)` for a duration, without the general number-to-string conversion when `ms` is a whole number
 * of microseconds under 10^9 ms (every duration an event builder makes): then the double is the one nearest
 * to k/1000 and its shortest decimal form is k/1000 written out, since doubles that small are far closer
 * together than 0.001.
 */
function durationJson(ms: number): string {
  if (ms >= 0 && ms < 1e9) {
    const k = Math.round(ms * 1000);
    if (k / 1000 === ms) {
      const frac = k % 1000;
      const whole = String((k - frac) / 1000);
      if (frac === 0) return whole;
      if (fractions === undefined) {
        fractions = [''];
        for (let i = 1; i < 1000; i++)
          fractions.push(
            `.${String(i + 1000)
              .slice(1)
              .replace(/0+$/, '')}`,
          );
      }
      return whole + fractions[frac];
    }
  }
  return json(ms);
}

/**
 * The members of a line that do not change from one event to the next while the same key is used the same
 * way: everything but `time`, `durationMs` and `messageSha256`, as JSON in three runs around those two.
 */
interface LineShape {
  readonly operation: unknown;
  readonly outcome: unknown;
  readonly storeType: unknown;
  readonly keyId: unknown;
  readonly kid: unknown;
  readonly version: unknown;
  readonly errorCode: unknown;
  readonly source: unknown;
  readonly caller: unknown;
  readonly private: unknown;
  readonly valid: unknown;
  readonly rotation: unknown;
  readonly tool: unknown;
  readonly targetStoreType: unknown;
  /** `operation` to `errorCode`, before `durationMs`. */
  readonly head: string;
  /** `source` to `rotation`, before `messageSha256`. */
  readonly middle: string;
  /** `tool` and `targetStoreType`. */
  readonly tail: string;
  /** UTF-8 of `head` and `,"durationMs":`, made when a sink first copies it. */
  headBytes?: Uint8Array;
  /** UTF-8 of `middle`, `tail` and the line end, made when a sink first copies it. */
  restBytes?: Uint8Array;
}

/** Most line shapes remembered (a process signs and verifies with a few keys; a caller can come from a request). */
export const MAX_LINE_SHAPES = 32;
/**
 * A shape is remembered only when its JSON is at most this long, so the cache holds at most 32 KiB of JSON
 * (and its UTF-8, and the values it was made from, each no longer than their JSON).
 */
const MAX_SHAPE_JSON = 1024;
const shapes: LineShape[] = [];
let lastShape = 0;
let nextShape = 0;

const sameShape = (s: LineShape, e: KeyAuditEvent): boolean =>
  s.kid === e.kid &&
  s.keyId === e.keyId &&
  s.operation === e.operation &&
  s.outcome === e.outcome &&
  s.storeType === e.storeType &&
  s.version === e.version &&
  s.errorCode === e.errorCode &&
  s.source === e.source &&
  s.caller === e.caller &&
  s.private === e.private &&
  s.valid === e.valid &&
  s.rotation === e.rotation &&
  s.tool === e.tool &&
  s.targetStoreType === e.targetStoreType;

/** The shape of `event`'s line: remembered (at most MAX_LINE_SHAPES, replaced in turn) or made now. */
function shapeOf(e: KeyAuditEvent): LineShape {
  const last = shapes[lastShape];
  if (last !== undefined && sameShape(last, e)) return last;
  for (let i = 0; i < shapes.length; i++) {
    if (sameShape(shapes[i]!, e)) {
      lastShape = i;
      return shapes[i]!;
    }
  }
  const shape: LineShape = {
    operation: e.operation,
    outcome: e.outcome,
    storeType: e.storeType,
    keyId: e.keyId,
    kid: e.kid,
    version: e.version,
    errorCode: e.errorCode,
    source: e.source,
    caller: e.caller,
    private: e.private,
    valid: e.valid,
    rotation: e.rotation,
    tool: e.tool,
    targetStoreType: e.targetStoreType,
    head: `${member('operation', e.operation)}${member('outcome', e.outcome)}${member('storeType', e.storeType)}${member('keyId', e.keyId)}${member('kid', e.kid)}${member('version', e.version)}${member('errorCode', e.errorCode)}`,
    middle: `${member('source', e.source)}${member('caller', e.caller)}${member('private', e.private)}${member('valid', e.valid)}${member('rotation', e.rotation)}`,
    tail: `${member('tool', e.tool)}${member('targetStoreType', e.targetStoreType)}`,
  };
  if (shape.head.length + shape.middle.length + shape.tail.length <= MAX_SHAPE_JSON) {
    lastShape = nextShape;
    shapes[nextShape] = shape;
    nextShape = (nextShape + 1) % MAX_LINE_SHAPES;
  }
  return shape;
}

/** The lines' shapes remembered now, for tests. */
export const lineShapeCount = (): number => shapes.length;

/** `{"time":...` of the last time formatted: many events share one millisecond. */
let lastTime: unknown;
let lastTimeJson = '';

/** The line of an event with a time and a duration (every event an event builder makes), from its shape. */
function shapedLine(e: KeyAuditEvent, time: string, durationMs: number): string {
  if (time !== lastTime) {
    lastTimeJson = `{"time":${json(time)}`;
    lastTime = time;
  }
  const shape = shapeOf(e);
  const sha = e.messageSha256 === undefined ? '' : `,"messageSha256":${json(e.messageSha256)}`;
  return `${lastTimeJson}${shape.head},"durationMs":${durationJson(durationMs)}${shape.middle}${sha}${shape.tail}}\n`;
}

const encoder = new TextEncoder();
/** `{"time":...` as UTF-8, for the last time a sink copied. */
let lastByteTime: unknown;
let lastTimeBytes: Uint8Array = new Uint8Array(0);

/**
 * Queues the line of `event` on `batch`: the same bytes as `auditLine`, copied from the line's shape and the
 * last millisecond's time as remembered UTF-8, with only the duration written per event. Events off that
 * path (no time or duration, a message hash, a line past the bound) are queued as `auditLine` writes them.
 */
export function appendAuditLine(event: KeyAuditEvent, batch: LineBatch): void {
  const { time, durationMs } = event;
  if (typeof time !== 'string' || typeof durationMs !== 'number' || event.messageSha256 !== undefined) {
    batch.push(auditLine(event));
    return;
  }
  // The time of the last `isoTime` (the common case): the second's bytes, then the milliseconds below.
  const iso = lastInSecond && time === lastIso;
  if (iso) {
    if (secondBytes === undefined) secondBytes = encoder.encode(`{"time":"${secondPrefix}`);
  } else if (time !== lastByteTime) {
    lastTimeBytes = encoder.encode(`{"time":${json(time)}`);
    lastByteTime = time;
  }
  const timeBytes = iso ? (secondBytes as Uint8Array) : lastTimeBytes;
  const timeTail = iso ? 5 : 0; // mmmZ"
  const shape = shapeOf(event);
  if (shape.headBytes === undefined || shape.restBytes === undefined) {
    shape.headBytes = encoder.encode(`${shape.head},"durationMs":`);
    shape.restBytes = encoder.encode(`${shape.middle}${shape.tail}}\n`);
  }
  const head = shape.headBytes;
  const rest = shape.restBytes;
  const duration = durationJson(durationMs); // ASCII: digits, '.', '-', 'e', '+' or null
  const size = timeBytes.length + timeTail + head.length + duration.length + rest.length;
  if (size > MAX_AUDIT_LINE_BYTES) {
    batch.push(auditLine(event));
    return;
  }
  const buffer = batch.reserve(size);
  let at = batch.end;
  buffer.set(timeBytes, at);
  at += timeBytes.length;
  if (iso) {
    const m = lastMilli;
    buffer[at++] = 0x30 + ((m / 100) | 0);
    buffer[at++] = 0x30 + (((m / 10) | 0) % 10);
    buffer[at++] = 0x30 + (m % 10);
    buffer[at++] = 0x5a; // Z
    buffer[at++] = 0x22; // "
  }
  buffer.set(head, at);
  at += head.length;
  for (let k = 0; k < duration.length; k++) buffer[at++] = duration.charCodeAt(k);
  buffer.set(rest, at);
  batch.endLine(at + rest.length);
}

/** The line of any other event, member by member (the first member present loses its comma). */
function plainLine(event: KeyAuditEvent): string {
  const body = `${member('time', event.time)}${member('operation', event.operation)}${member('outcome', event.outcome)}${member('storeType', event.storeType)}${member('keyId', event.keyId)}${member('kid', event.kid)}${member('version', event.version)}${member('errorCode', event.errorCode)}${member('durationMs', event.durationMs)}${member('source', event.source)}${member('caller', event.caller)}${member('private', event.private)}${member('valid', event.valid)}${member('rotation', event.rotation)}${member('messageSha256', event.messageSha256)}${member('tool', event.tool)}${member('targetStoreType', event.targetStoreType)}`;
  return `{${body.slice(1)}}\n`;
}

/**
 * One JSON line for `event`, at most MAX_AUDIT_LINE_BYTES: only the fields of the event type, in a fixed
 * order, so nothing else an object carries can leak. It runs once per signature when the sink is on, so a
 * line is not built field by field: the members that repeat from one event to the next (all but the time,
 * duration and message hash) are remembered as JSON per line shape (a few keys used a few ways), the time's
 * JSON per millisecond, and only the duration and hash are formatted per event. Strings go through
 * JSON.stringify only when they need escaping; the line is byte for byte what that member-by-member
 * formatting (`plainLine`) writes.
 */
export function auditLine(event: KeyAuditEvent): string {
  const { time, durationMs } = event;
  const line =
    typeof time === 'string' && typeof durationMs === 'number'
      ? shapedLine(event, time, durationMs)
      : plainLine(event);
  // A UTF-16 length of a third of the bound cannot exceed it in UTF-8; only longer lines are measured.
  if (line.length * 3 <= MAX_AUDIT_LINE_BYTES || Buffer.byteLength(line) <= MAX_AUDIT_LINE_BYTES) return line;
  return `${escapeControlCharacters(JSON.stringify({ time: event.time, operation: event.operation, outcome: event.outcome, storeType: String(event.storeType).slice(0, 64), truncated: true }))}\n`;
}

let lastMs = Number.NaN;
let lastIso = '';
/** The UTC second `isoTime` last formatted in full: its first millisecond and its ISO text up to the dot. */
let secondStart = Number.NaN;
let secondPrefix = '';
/** `{"time":"` and `secondPrefix` as UTF-8, for the sink; made when it first copies a time of that second. */
let secondBytes: Uint8Array | undefined;
/** Whether `lastIso` is `secondPrefix` and the milliseconds `lastMilli`. */
let lastInSecond = false;
let lastMilli = 0;
/** `000Z` to `999Z`, made on first use. */
let millis: string[] | undefined;

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond (many events share one), and within the
 * last second formatted in full only the milliseconds change: a whole number of milliseconds since 1970
 * in that second gets the second's text and its own `mmmZ`.
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  const offset = ms - secondStart;
  if (offset >= 0 && offset < 1000 && Number.isInteger(offset)) {
    if (millis === undefined) {
      millis = [];
      for (let i = 0; i < 1000; i++) millis.push(`${String(i + 1000).slice(1)}Z`);
    }
    lastIso = secondPrefix + millis[offset];
    lastInSecond = true;
    lastMilli = offset;
  } else {
    lastIso = new Date(ms).toISOString();
    lastInSecond = ms >= 0 && Number.isInteger(ms) && lastIso.endsWith('Z');
    if (lastInSecond) {
      lastMilli = ms % 1000;
      secondStart = ms - lastMilli;
      secondPrefix = lastIso.slice(0, -4); // up to and with the dot: YYYY-MM-DDTHH:MM:SS.
      secondBytes = undefined;
    }
  }
  lastMs = ms;
  return lastIso;
}
