/**
 * `phlow-keys audit [file]`: reads a JSON-lines audit log (what PHLOW_KEY_AUDIT_LOG writes) and prints who
 * used which key, how, when and how often, failures first. The log holds no key material, so neither does
 * this; fields are printed as bounded strings with their control and bidi characters escaped (whoever
 * chose a caller name or forged a token chose those strings). Gaps the writers recorded (lines lost to a
 * full disk or a closed pipe) are reported: an incomplete trail says so.
 */

import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { terminalSafe } from '../../output.js';
import { UsageError } from '../../usage-error.js';
import { type AuditSummaryRow, MAX_AUDIT_READ_BYTES, readAuditLog, summarize } from './audit-log.js';

/** The file PHLOW_KEY_AUDIT_LOG names, if it names one (not stderr or stdout, in any case). */
export function auditLogFile(value: string | undefined): string | undefined {
  const target = value?.trim();
  if (!target) return undefined;
  const lower = target.toLowerCase();
  return lower === 'stderr' || lower === 'stdout' || target === '-' ? undefined : target;
}

export async function run(context: CommandContext): Promise<ExitCode> {
  if (context.positionals.length > 1) throw new UsageError('audit takes at most one file', 'audit');
  const given = context.positionals[0];
  const file = given ?? auditLogFile(context.env.PHLOW_KEY_AUDIT_LOG);
  if (file === undefined) {
    throw new UsageError(
      'name the audit log: phlow-keys audit <file> (or set PHLOW_KEY_AUDIT_LOG to its path)',
      'audit',
    );
  }
  const { out } = context;
  const log = readAuditLog(
    file,
    MAX_AUDIT_READ_BYTES,
    given === undefined ? 'PHLOW_KEY_AUDIT_LOG' : 'argument',
  );
  const rows = summarize(log.records);
  const events = log.records.reduce((sum, r) => sum + r.count, 0);
  if (out.json) {
    out.data({
      events,
      skipped: log.skipped,
      truncated: log.truncated,
      lost: log.lost,
      gaps: log.gaps,
      rows,
    });
    return EXIT.OK;
  }
  if (log.lost > 0) {
    const last = log.gaps[log.gaps.length - 1];
    out.warn(
      `the log is incomplete: ${log.lost} line${log.lost === 1 ? '' : 's'} could not be written (${log.gaps.length} gap${log.gaps.length === 1 ? '' : 's'} recorded; the last one ${last?.lost} lines, ${last?.errorCode}, from ${last?.since} to ${last?.time})`,
    );
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
      r.outcome === 'success' ? r.outcome : out.paint('red', terminalSafe(r.outcome)),
      terminalSafe(r.caller),
      terminalSafe(r.keyId),
      terminalSafe(r.storeType),
      terminalSafe(r.operation),
      String(r.count),
      terminalSafe(r.first),
      terminalSafe(r.last),
      terminalSafe(
        Object.entries(r.errors)
          .map(([code, n]) => `${code} x${n}`)
          .join(', ') || '-',
      ),
    ]),
  );
  out.line(`${events} event${events === 1 ? '' : 's'}`);
  return EXIT.OK;
}
