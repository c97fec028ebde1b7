/**
 * Audit events for what the CLI does outside KeyManager (migrate, rekey): the same event shape and the same
 * PHLOW_KEY_AUDIT_LOG sink KeyManager uses, marked `tool: phlow-keys`. Recording never changes a command's
 * outcome: a sink that cannot be opened was already reported by the command's own KeyManager (or is
 * reported by the next one), so it is skipped here.
 */
import {
  auditFailure,
  auditSinkFromEnv,
  type Env,
  type KeyAuditEvent,
  type KeyAuditOperation,
} from '@phlow/keys-core';
import type { Command } from './command.js';
import type { MigrationResult } from './commands/migrate/migrate-one.js';

export type CliAuditFields = Omit<KeyAuditEvent, 'type' | 'time' | 'tool' | 'durationMs' | 'operation'>;

/** Records one event of `operation` that started at `started` (performance.now()). */
export function recordCliAudit(
  env: Env,
  operation: KeyAuditOperation,
  started: number,
  fields: CliAuditFields,
): void {
  try {
    const sink = auditSinkFromEnv(env);
    if (!sink) return;
    const caller = env.PHLOW_KEY_AUDIT_CALLER?.trim();
    sink({
      type: 'audit',
      time: new Date().toISOString(),
      operation,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      tool: 'phlow-keys',
      ...(caller ? { caller: caller.slice(0, 200) } : {}),
      ...fields,
    });
  } catch {
    // Auditing must not change what the command did.
  }
}

/** `command`, recording one `operation` event per run: success, or the failure with its code. */
export function auditedCommand(operation: KeyAuditOperation, storeType: string, command: Command): Command {
  return {
    ...command,
    async run(context) {
      const started = performance.now();
      try {
        const code = await command.run(context);
        recordCliAudit(context.env, operation, started, {
          storeType,
          outcome: code === 0 ? 'success' : 'failure',
          ...(code === 0 ? {} : { errorCode: `EXIT_${code}` }),
        });
        return code;
      } catch (error) {
        recordCliAudit(context.env, operation, started, { storeType, ...auditFailure(error) });
        throw error;
      }
    },
  };
}

/** One `migrate` event per key id tried (not for ids left untried after a store-wide failure). */
export function recordMigration(
  env: Env,
  started: number,
  result: MigrationResult,
  from: string,
  to: string,
): void {
  if (result.status === 'not-attempted') return;
  const code = result.status === 'conflict' ? 'CONFLICT' : result.error?.code;
  recordCliAudit(env, 'migrate', started, {
    storeType: from,
    targetStoreType: to,
    keyId: result.keyId,
    ...(result.kid ? { kid: result.kid } : {}),
    outcome: code === undefined ? 'success' : code === 'ACCESS_DENIED' ? 'denied' : 'failure',
    ...(code ? { errorCode: code } : {}),
  });
}
