/**
 * `phlow-keys doctor [ids...]`: checks the configured store end to end and explains each failure in the words
 * of the guide's Troubleshooting section. Configuration and adapter, cache settings, the master key and file
 * modes (file store), connection and authentication, listing, reading keys, and whether writes would work
 * (write-probe.ts: nothing is left behind). Every step is timed; slow ones are flagged.
 * Exit 0 when no check failed, 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import {
  auditSinkFromEnv,
  createMemoryKeyStore,
  type Env,
  type JsonLinesAuditSink,
  KeyManager,
  type KeyStore,
  KeyStoreError,
} from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { formatDuration } from '../../format-duration.js';
import { someIds } from '../../ids.js';
import { type Output, terminalSafe } from '../../output.js';
import { chooseStore, isFileStoreType, loadProvider, masterKeySetting, storeEnv } from '../../store.js';
import { withStoreTypeSuggestion } from '../../store-typo.js';
import { readAuditLog } from '../audit/audit-log.js';
import { auditLogFile } from '../audit/run.js';
import { type CheckResult, Checks } from './checks.js';
import { checkModes } from './file-modes.js';
import {
  auditLogOutcome,
  invalidIdsCheck,
  leftoversOutcome,
  nodeDebugOutcome,
  recoverableCheck,
} from './findings.js';
import { MAX_KEYS_READ } from './limits.js';
import { masterKeyIsPassphrase } from './master-key-kind.js';
import { KDF_COST, PERFORMANCE } from './troubleshooting.js';
import { writeChecks } from './write-probe.js';

function seconds(env: Env, name: string, fallback: number): string {
  const raw = env[name]?.trim();
  return raw
    ? `${formatDuration(Number(raw) * 1000)} (${name})`
    : `${formatDuration(fallback * 1000)} (default)`;
}

/** Enough of a log's end to find the gaps recorded lately, read quickly. */
const AUDIT_TAIL_BYTES = 1024 * 1024;

/**
 * The audit log's sink, or why it cannot be opened; `env` for the checks' KeyManagers, without the audit log
 * when it cannot be opened (its own row reports that, and every other check still runs).
 */
function openAuditLog(env: Env): { sink: JsonLinesAuditSink | Error | undefined; env: Env } {
  if (!env.PHLOW_KEY_AUDIT_LOG?.trim()) return { sink: undefined, env };
  try {
    return { sink: auditSinkFromEnv(env), env };
  } catch (error) {
    const rest = { ...env };
    delete rest.PHLOW_KEY_AUDIT_LOG;
    delete rest.PHLOW_KEY_AUDIT_FAIL_CLOSED;
    return { sink: error instanceof Error ? error : new Error(String(error)), env: rest };
  }
}

/** The `audit log` row, after this run's own audited accesses (the scratch key) went through the sink. */
async function auditCheck(checks: Checks, env: Env, sink: JsonLinesAuditSink | Error): Promise<void> {
  await checks.run(
    'audit log',
    async () => {
      if (!(sink instanceof Error)) sink.flush();
      const file = sink instanceof Error ? undefined : auditLogFile(sink.target);
      let recorded: { lost: number; gaps: ReturnType<typeof readAuditLog>['gaps'] } | undefined;
      if (file) {
        try {
          recorded = readAuditLog(file, AUDIT_TAIL_BYTES);
        } catch {
          recorded = undefined; // the row reports what the sink saw; `phlow-keys audit` explains a read error
        }
      }
      let freeBytes: number | undefined;
      if (file) {
        try {
          const fs = statfsSync(dirname(file));
          freeBytes = fs.bavail * fs.bsize;
        } catch {
          freeBytes = undefined; // no statfs here: the lines of this run are the only evidence
        }
      }
      return auditLogOutcome({
        sink: sink instanceof Error ? sink : sink.stats(),
        failClosed: /^(true|1)$/i.test(env.PHLOW_KEY_AUDIT_FAIL_CLOSED?.trim() ?? ''),
        ...(recorded ? { recorded } : {}),
        ...(freeBytes !== undefined ? { freeBytes } : {}),
      });
    },
    { dependsOnStore: false },
  );
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const { cwd, out } = context;
  const audit = openAuditLog(context.env);
  const env = audit.env;
  const ids = someIds(context);
  const choice = chooseStore(context.flags.store, env);
  const checks = new Checks();
  const provider = await checks.run(
    'adapter',
    async () => {
      const p = await loadProvider(choice.type, cwd).catch((error: unknown) => {
        throw withStoreTypeSuggestion(error, [choice.type]);
      });
      return {
        value: p,
        detail: `${p.type} (chosen by ${choice.source === 'default' ? 'the CLI default' : choice.source})`,
      };
    },
    { dependsOnStore: false },
  );
  checks.setStoreType(provider?.type ?? choice.type);

  await checks.run(
    'cache',
    async () => {
      const manager = new KeyManager({ store: createMemoryKeyStore(), env });
      const off = env.PHLOW_KEY_CACHE_TTL_SECONDS?.trim() === '0';
      return {
        detail: `TTL ${seconds(env, 'PHLOW_KEY_CACHE_TTL_SECONDS', 300)}, max ${env.PHLOW_KEY_CACHE_MAX_ENTRIES?.trim() || '1000'} keys, stale-if-error ${seconds(env, 'PHLOW_KEY_CACHE_STALE_IF_ERROR_SECONDS', 300)}, rotation delay ${formatDuration(manager.rotationDelayMs)}, rotation grace ${formatDuration(manager.rotationGracePeriodMs)}, refetch cooldown ${formatDuration(manager.refetchCooldownMs)}`,
        ...(off ? { status: 'warn' as const, advice: PERFORMANCE } : {}),
      };
    },
    { dependsOnStore: false },
  );

  const nodeDebug = nodeDebugOutcome(env);
  if (nodeDebug) await checks.run('debug output', async () => nodeDebug, { dependsOnStore: false });

  const fileStore = isFileStoreType(choice.type);
  const master = masterKeySetting(env, cwd);
  const show = (path: string) => relative(cwd, path) || '.';
  if (fileStore) {
    await checks.run(
      'master key',
      async () => {
        if (master.source === 'none') {
          throw new KeyStoreError(
            'INVALID_CONFIG',
            'no master key: run `phlow-keys init`, or set PHLOW_MASTER_KEY or PHLOW_MASTER_KEY_FILE',
            { storeType: 'encrypted_file' },
          );
        }
        const detail =
          master.source === 'PHLOW_MASTER_KEY'
            ? 'from PHLOW_MASTER_KEY'
            : master.source === 'fallback'
              ? `${show(master.file!)} (no PHLOW_MASTER_KEY / PHLOW_MASTER_KEY_FILE set)`
              : `${show(master.file!)} (PHLOW_MASTER_KEY_FILE)`;
        if ((await masterKeyIsPassphrase(master, env)) === true) {
          return { detail: `${detail}, a passphrase`, status: 'warn' as const, advice: KDF_COST };
        }
        return { detail };
      },
      { dependsOnStore: false },
    );
  }

  let store: KeyStore | undefined;
  if (provider && !checks.failed) {
    store = await checks.run('connect', async () => {
      const create = provider.create as (o: Record<string, unknown>) => KeyStore | Promise<KeyStore>;
      const opened = await create({
        env: storeEnv(choice.type, env, cwd),
        cwd,
        onWarning: (m: string) => out.warn(m),
      });
      const caps = Object.entries(opened.capabilities)
        .filter(([, on]) => on)
        .map(([name]) => name);
      return { value: opened, detail: `opened; capabilities: ${caps.join(', ') || 'none'}` };
    });
  } else {
    checks.skip('connect', 'skipped: an earlier check failed');
  }

  try {
    if (store) {
      const writeCheck = context.values['write-check'] === true;
      await storeChecks(checks, store, { ids, env, fileStore, master, show, out, writeCheck });
    }
  } finally {
    await store?.close?.();
  }
  if (audit.sink) await auditCheck(checks, env, audit.sink);

  if (out.json) {
    out.data({
      store: { type: provider?.type ?? choice.type, source: choice.source },
      ok: !checks.failed,
      checks: checks.results,
    });
  } else {
    report(out, provider?.type ?? choice.type, checks.results);
  }
  return checks.failed ? EXIT.FAILURE : EXIT.OK;
}

interface StoreCheckOptions {
  readonly ids: readonly string[];
  readonly env: Env;
  readonly fileStore: boolean;
  readonly master: ReturnType<typeof masterKeySetting>;
  readonly show: (path: string) => string;
  readonly out: Output;
  /** `--write-check`: write a scratch key even on a store that keeps deleted keys for a while. */
  readonly writeCheck: boolean;
}

async function storeChecks(checks: Checks, store: KeyStore, o: StoreCheckOptions): Promise<void> {
  const checkConnection = (store as { checkConnection?: () => Promise<Record<string, unknown>> })
    .checkConnection;
  if (typeof checkConnection === 'function') {
    await checks.run('authentication', async () => {
      const info = await checkConnection.call(store);
      const ttl = Number(info.tokenTtlSeconds);
      const policies = Array.isArray(info.policies) ? info.policies.join(', ') : '';
      return {
        detail: `token accepted${Number.isFinite(ttl) ? `, ${ttl === 0 ? 'no expiry' : `expires in ${formatDuration(ttl * 1000)}`}` : ''}${policies ? `, policies: ${policies}` : ''}`,
      };
    });
  }

  let keyFile: string | undefined;
  if (o.fileStore) {
    const { DEFAULT_FILE } = await import('@phlow/keystore-file'); // loaded only when the file store is checked
    keyFile = (store as { path?: string }).path ?? o.env.PHLOW_KEY_STORE_FILE ?? DEFAULT_FILE;
    const file = keyFile;
    await checks.run('file modes', async () => {
      const report = await checkModes(file, o.master.file);
      if (report.open.length > 0) {
        // A failure, but not one that stops the store from working: the remaining checks still run.
        return {
          status: 'fail' as const,
          detail: "other users can access the store's files",
          advice: { title: 'Permission Denied', steps: report.open.map((fix) => `Restrict access: ${fix}`) },
        };
      }
      const seen = report.seen.map((f) => `${o.show(f.path)} ${f.mode}`).join(', ') || 'no files yet';
      const missing = report.missing.map(o.show).join(', ');
      return { detail: missing ? `${seen}; not created yet: ${missing}` : seen };
    });
  }

  const manager = new KeyManager({ store, env: o.env, cache: { ttlMs: 0 } });
  let ids = [...o.ids];
  if (store.capabilities.list && store.listKeyIds) {
    const listed = await checks.run(
      'list',
      async () => {
        const all = await store.listKeyIds!();
        return { value: all, detail: `${all.length} key${all.length === 1 ? '' : 's'}` };
      },
      { contained: true },
    );
    if (ids.length === 0 && listed) ids = listed.slice(0, MAX_KEYS_READ);
    const leftovers = listed && leftoversOutcome(listed);
    if (leftovers) await checks.run('python leftovers', async () => leftovers);
  } else {
    checks.skip('list', 'this store cannot list its keys');
  }
  const invalid = invalidIdsCheck(store);
  if (invalid) await checks.run('unusable ids', invalid, { contained: true });
  const recoverable = recoverableCheck(store);
  if (recoverable) await checks.run('deleted keys', recoverable, { contained: true });

  if (ids.length > 0) {
    for (const id of ids) {
      await checks.run(`read ${id}`, async () => {
        const pair = await manager.getPublicKeyPair(id);
        return { detail: `kid ${pair.kid} (${pair.jwk.alg ?? pair.jwk.kty})` };
      });
    }
  } else {
    await checks.run('read', async () => {
      // A read of an id that cannot exist: proves read access without needing a key.
      await store.getPublicKey(`phlow-doctor-${randomBytes(6).toString('hex')}`);
      return { detail: 'no keys to read; a read of a missing id succeeded' };
    });
  }

  if (!store.capabilities.write && store.capabilities.signer !== true) {
    checks.skip('write', `${store.type} is read-only`);
    return;
  }
  await writeChecks(checks, store, manager, {
    fileStore: o.fileStore,
    keyFile,
    show: o.show,
    writeCheck: o.writeCheck,
  });
}

function report(out: Output, storeType: string, results: readonly CheckResult[]): void {
  const label = (r: CheckResult) =>
    r.status === 'ok'
      ? out.paint('green', 'ok')
      : r.status === 'fail'
        ? out.paint('red', 'FAIL')
        : r.status === 'warn'
          ? out.paint('yellow', 'warn')
          : out.paint('dim', 'skip');
  out.line(`${out.paint('bold', 'phlow-keys doctor')}: ${storeType}`);
  out.table(
    ['STATUS', 'CHECK', 'TIME', 'RESULT'],
    // Details and errors quote what stores and logs answered: escaped, never interpreted by the terminal.
    results.map((r) => [
      label(r),
      terminalSafe(r.name),
      r.ms === undefined ? '' : `${r.ms} ms`,
      terminalSafe(r.detail),
    ]),
  );
  for (const r of results) {
    if (r.status !== 'fail' && r.status !== 'warn') continue;
    if (!r.error && !r.advice) continue;
    out.line();
    out.line(`${label(r)} ${terminalSafe(r.name)}${r.error ? `: ${terminalSafe(r.error.message)}` : ''}`);
    if (r.advice) {
      out.line(`  ${terminalSafe(r.advice.title)}:`);
      for (const step of r.advice.steps) out.line(`  - ${terminalSafe(step)}`);
    }
  }
  out.line();
  const failed = results.filter((r) => r.status === 'fail').length;
  out.line(
    failed === 0
      ? out.paint('green', 'All checks passed.')
      : out.paint('red', `${failed} check${failed === 1 ? '' : 's'} failed.`),
  );
}
