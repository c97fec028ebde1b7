/**
 * `phlow-keys audit [file]`: reads a JSON-lines audit log (what PHLOW_KEY_AUDIT_LOG writes) and prints who
 * used which key, how, when and how often, failures first. The log holds no key material, so neither does
 * this; fields are printed as bounded strings.
 */

import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { UsageError } from '../../usage-error.js';
import { type AuditSummaryRow, MAX_AUDIT_READ_BYTES, readAuditLog, summarize } from './audit-log.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  if (context.positionals.length > 1) throw new UsageError('audit takes at most one file', 'audit');
  const fromEnv = context.env.PHLOW_KEY_AUDIT_LOG?.trim();
  const file = context.positionals[0] ?? (fromEnv && fromEnv !== 'stderr' ? fromEnv : undefined);
  if (file === undefined) {
    throw new UsageError(
      'name the audit log: phlow-keys audit <file> (or set PHLOW_KEY_AUDIT_LOG to its path)',
      'audit',
    );
  }
  const { out } = context;
  const log = readAuditLog(file);
  const rows = summarize(log.records);
  if (out.json) {
    out.data({ events: log.records.length, skipped: log.skipped, truncated: log.truncated, rows });
    return EXIT.OK;
  }
  if (log.truncated)
    out.warn(
      `the log is larger than ${MAX_AUDIT_READ_BYTES / 1024 / 1024} MiB: only its newest part was read`,
    );
  if (log.skipped > 0) out.warn(`skipped ${log.skipped} malformed line${log.skipped === 1 ? '' : 's'}`);
  if (rows.length === 0) {
    out.note('no audit events in the log');
    return EXIT.OK;
  }
  out.table(
    ['OUTCOME', 'CALLER', 'KEY', 'STORE', 'OPERATION', 'COUNT', 'FIRST', 'LAST', 'ERRORS'],
    rows.map((r: AuditSummaryRow) => [
      r.outcome === 'success' ? r.outcome : out.paint('red', r.outcome),
      r.caller,
      r.keyId,
      r.storeType,
      r.operation,
      String(r.count),
      r.first,
      r.last,
      Object.entries(r.errors)
        .map(([code, n]) => `${code} x${n}`)
        .join(', ') || '-',
    ]),
  );
  out.line(`${log.records.length} event${log.records.length === 1 ? '' : 's'}`);
  return EXIT.OK;
}
