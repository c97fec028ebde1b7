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

/** `,"name":value` for a string, boolean or finite number; nothing for undefined; null for anything else. */
function member(name: string, value: unknown): string {
  if (value === undefined) return '';
  const json =
    typeof value === 'string'
      ? NEEDS_ESCAPE.test(value)
        ? escapeControlCharacters(JSON.stringify(value))
        : `"${value}"`
      : typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
        ? String(value)
        : 'null';
  return `,"${name}":${json}`;
}

/** The last line's members from `operation` to `errorCode`, reused while they repeat (one key, signing). */
let lastHead: readonly unknown[] = [];
let lastHeadJson = '';

function head(event: KeyAuditEvent): string {
  const { operation, outcome, storeType, keyId, kid, version, errorCode } = event;
  const h = lastHead;
  if (
    h[0] === operation &&
    h[1] === outcome &&
    h[2] === storeType &&
    h[3] === keyId &&
    h[4] === kid &&
    h[5] === version &&
    h[6] === errorCode &&
    h.length === 7
  ) {
    return lastHeadJson;
  }
  const json = `${member('operation', operation)}${member('outcome', outcome)}${member('storeType', storeType)}${member('keyId', keyId)}${member('kid', kid)}${member('version', version)}${member('errorCode', errorCode)}`;
  lastHead = [operation, outcome, storeType, keyId, kid, version, errorCode];
  lastHeadJson = json;
  return json;
}

/**
 * One JSON line for `event`, at most MAX_AUDIT_LINE_BYTES: only the fields of the event type, in a fixed
 * order, so nothing else an object carries can leak. Built field by field (strings through JSON.stringify
 * only when they need escaping) because it runs once per signature when the sink is on; the members that
 * repeat from one signature to the next (operation to errorCode) are reused from the last line.
 */
export function auditLine(event: KeyAuditEvent): string {
  const body = `${member('time', event.time)}${head(event)}${member('durationMs', event.durationMs)}${member('source', event.source)}${member('caller', event.caller)}${member('private', event.private)}${member('valid', event.valid)}${member('rotation', event.rotation)}${member('messageSha256', event.messageSha256)}${member('tool', event.tool)}${member('targetStoreType', event.targetStoreType)}`;
  const line = `{${body.slice(1)}}\n`; // every member starts with a comma: drop the first
  // A UTF-16 length of a third of the bound cannot exceed it in UTF-8; only longer lines are measured.
  if (line.length * 3 <= MAX_AUDIT_LINE_BYTES || Buffer.byteLength(line) <= MAX_AUDIT_LINE_BYTES) return line;
  return `${escapeControlCharacters(JSON.stringify({ time: event.time, operation: event.operation, outcome: event.outcome, storeType: String(event.storeType).slice(0, 64), truncated: true }))}\n`;
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
