/**
 * Reading a JSON-lines audit log for `phlow-keys audit`: bounded (only the newest MAX_AUDIT_READ_BYTES
 * are read), regular files only (a FIFO or /dev/zero would hang or never end: the file is read with core's
 * readRegularFileTailSync, under the rules of every other regular-file read), malformed lines counted and
 * skipped, and only the known fields of each record kept, each as a bounded string.
 *
 * Two kinds of line besides one event each (see core's audit-sink.ts): a summary of refused tokens past the
 * per-minute budget, an event with `count` (how many refusals it stands for), and an `audit-loss` record,
 * written when the log works again after lines were lost (disk full, closed pipe), with how many.
 */
import { KeyStoreError } from '@phlow/keys-core';
import {
  isRegularFileRefusal,
  type RegularFileTail,
  readRegularFileTailSync,
} from '@phlow/keys-core/adapter';
import { UsageError } from '../../usage-error.js';

/** How much of the end of a log is read. */
export const MAX_AUDIT_READ_BYTES = 64 * 1024 * 1024;

export interface AuditRecord {
  readonly time: string;
  readonly operation: string;
  readonly outcome: string;
  readonly storeType: string;
  readonly keyId: string;
  readonly caller: string;
  readonly errorCode: string | undefined;
  readonly valid: boolean | undefined;
  /** How many events the line stands for: 1, or a refused-token summary's count. */
  readonly count: number;
}

/** A gap the writer recorded: `lost` lines it could not write between `since` and `time`. */
export interface AuditGap {
  readonly since: string;
  readonly time: string;
  readonly lost: number;
  readonly errorCode: string;
}

/** Gaps kept for the report (the newest); their total is counted whatever their number. */
const MAX_GAPS = 20;

export interface AuditLogRead {
  readonly records: AuditRecord[];
  /** Lines that were not a JSON object with an operation and an outcome (a line torn by a full disk among them). */
  readonly skipped: number;
  /** True when the log was longer than MAX_AUDIT_READ_BYTES and only its end was read. */
  readonly truncated: boolean;
  /** Lines the writers recorded as lost, in total. */
  readonly lost: number;
  /** The newest recorded gaps, oldest first. */
  readonly gaps: AuditGap[];
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value !== '' ? value.slice(0, 200) : fallback;

/**
 * Where the log's path came from, for the advice when it cannot be read: the `audit [file]` argument (a
 * usage error, exit 2) or PHLOW_KEY_AUDIT_LOG (a setting, exit 6).
 */
export type AuditLogSource = 'argument' | 'PHLOW_KEY_AUDIT_LOG';

/** Reads the newest `maxBytes` (default MAX_AUDIT_READ_BYTES) of the log at `path`. */
export function readAuditLog(
  path: string,
  maxBytes = MAX_AUDIT_READ_BYTES,
  source: AuditLogSource = 'PHLOW_KEY_AUDIT_LOG',
): AuditLogRead {
  let tail: RegularFileTail;
  try {
    // One byte more than the newest maxBytes: the byte before them says whether they start a line.
    tail = readRegularFileTailSync(path, { maxBytes: maxBytes + 1 });
  } catch (error) {
    // The path is not quoted: the user gave it, or can read it from PHLOW_KEY_AUDIT_LOG.
    const code = (error as { code?: string }).code;
    const problem = isRegularFileRefusal(error)
      ? `names a ${error.kind}, not a regular file`
      : code === 'ENOENT' || code === 'ENOTDIR'
        ? `names no file (${code})`
        : undefined;
    if (source === 'argument') {
      if (problem !== undefined)
        throw new UsageError(`the audit [file] argument ${problem}: give the path of the audit log`, 'audit');
      throw new KeyStoreError(
        code === 'EACCES' || code === 'EPERM' ? 'ACCESS_DENIED' : 'UNAVAILABLE',
        `cannot open the audit log that the [file] argument names (${code ?? 'error'}): check its permissions`,
        { cause: error },
      );
    }
    if (problem !== undefined) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        `PHLOW_KEY_AUDIT_LOG ${problem}: set it to the audit log's path, or pass the file: phlow-keys audit <file>`,
        { cause: error },
      );
    }
    throw new KeyStoreError(
      code === 'EACCES' || code === 'EPERM' ? 'ACCESS_DENIED' : 'UNAVAILABLE',
      `cannot open the audit log PHLOW_KEY_AUDIT_LOG names (${code ?? 'error'}): check its permissions`,
      { cause: error },
    );
  }
  const { bytes, start } = tail;
  // A read that starts inside the file: up to the first newline is the byte before the newest maxBytes and
  // what is left of a line that began before them, which is not counted. When that byte is itself a newline,
  // the newest maxBytes start with a whole line, which is.
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8').split('\n');
  if (start > 0) lines.shift();
  const records: AuditRecord[] = [];
  const gaps: AuditGap[] = [];
  let lost = 0;
  let skipped = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const r = value as Record<string, unknown>;
    if (typeof r === 'object' && r !== null && r.type === 'audit-loss' && count(r.lost)) {
      lost += r.lost as number;
      gaps.push({
        since: text(r.since, '-'),
        time: text(r.time, '-'),
        lost: r.lost as number,
        errorCode: text(r.errorCode, 'ERROR').slice(0, 40),
      });
      if (gaps.length > MAX_GAPS) gaps.shift();
      continue;
    }
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof r.operation !== 'string' ||
      typeof r.outcome !== 'string'
    ) {
      skipped++;
      continue;
    }
    records.push({
      time: text(r.time, '-'),
      operation: text(r.operation, '-'),
      outcome: text(r.outcome, '-'),
      storeType: text(r.storeType, '-'),
      keyId: text(r.keyId, '-'),
      caller: text(r.caller, '-'),
      errorCode: typeof r.errorCode === 'string' ? r.errorCode.slice(0, 40) : undefined,
      valid: typeof r.valid === 'boolean' ? r.valid : undefined,
      count: count(r.count) ?? 1,
    });
  }
  return { records, skipped, truncated: start > 0, lost, gaps };
}

export interface AuditSummaryRow {
  readonly caller: string;
  readonly keyId: string;
  readonly storeType: string;
  readonly operation: string;
  /** `success`, `invalid` (a signature that did not verify), `failure` or `denied`. */
  readonly outcome: string;
  readonly count: number;
  readonly first: string;
  readonly last: string;
  /** Error codes seen, with how often. */
  readonly errors: Record<string, number>;
}

/** Who used which key, how and how often: failures first, then by count. */
export function summarize(records: readonly AuditRecord[]): AuditSummaryRow[] {
  const rows = new Map<string, { -readonly [K in keyof AuditSummaryRow]: AuditSummaryRow[K] }>();
  for (const r of records) {
    const outcome = r.outcome === 'success' && r.valid === false ? 'invalid' : r.outcome;
    const key = JSON.stringify([r.caller, r.keyId, r.storeType, r.operation, outcome]);
    let row = rows.get(key);
    if (!row) {
      row = {
        caller: r.caller,
        keyId: r.keyId,
        storeType: r.storeType,
        operation: r.operation,
        outcome,
        count: 0,
        first: r.time,
        last: r.time,
        errors: {},
      };
      rows.set(key, row);
    }
    row.count += r.count;
    if (r.time < row.first) row.first = r.time;
    if (r.time > row.last) row.last = r.time;
    if (r.errorCode) row.errors[r.errorCode] = (row.errors[r.errorCode] ?? 0) + r.count;
  }
  const failed = (row: AuditSummaryRow) => (row.outcome === 'success' ? 1 : 0);
  return [...rows.values()].sort(
    (a, b) => failed(a) - failed(b) || b.count - a.count || a.keyId.localeCompare(b.keyId),
  );
}
