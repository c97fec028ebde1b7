/**
 * `phlow-keys migrate --from <type> --to <type> [ids...]`: copies key pairs between any two stores, such as
 * the guide's migration away from environment variables (`--from environment --to vault`). Never deletes
 * from the source. Re-running after a failure resumes: identical keys at the destination are skipped.
 *
 * Ids: the ones given, else every id the source lists, plus the sources of `--as` mappings. Which id each
 * key lands under is decided up front by migrate-plan.ts, which never renames an id silently.
 */
import { KeyManager, type KeyStore, KeyStoreError } from '@phlow/keys-core';
import { type Command, type CommandContext, stringValue } from '../../command.js';
import { EXIT, type ExitCode, exitCodeFor } from '../../exit-codes.js';
import { someIds } from '../../ids.js';
import { listIds } from '../../list-ids.js';
import { progressBar } from '../../progress.js';
import { openStore } from '../../store.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';
import { type MigrationResult, type MigrationStatus, migrateOne } from './migrate-one.js';
import { parseMappings, planCopies } from './migrate-plan.js';

const CANONICAL: Record<string, string> = { env: 'environment', file: 'encrypted_file' };
const canonical = (type: string) => CANONICAL[type] ?? type;

/** Errors that will fail every remaining id the same way: stop instead of repeating them. */
const STORE_WIDE = new Set(['ACCESS_DENIED', 'UNAVAILABLE', 'INVALID_CONFIG']);

const STATUSES: readonly MigrationStatus[] = [
  'copied',
  'overwritten',
  'skipped',
  'conflict',
  'failed',
  'not-attempted',
  'would-copy',
  'would-overwrite',
  'ambiguous',
];

/**
 * The destination's ids, to resolve upper-snake spellings; only needed (and only listed) when the source
 * listed such an id, and empty when the destination cannot list.
 */
async function destinationIds(destination: KeyStore, listed: readonly string[]): Promise<string[]> {
  if (!listed.some((id) => /[A-Z]/.test(id))) return [];
  if (!destination.capabilities.list || !destination.listKeyIds) return [];
  return destination.listKeyIds();
}

/**
 * One `migrate` event per key id tried (none for ids left untried after a store-wide failure), recorded by
 * the source's KeyManager: core builds it (caller rule, source store type, sink) and the CLI marks it as its own.
 */
function recordMigration(source: KeyManager, started: number, result: MigrationResult, to: string): void {
  if (result.status === 'not-attempted') return;
  const code = result.status === 'conflict' ? 'CONFLICT' : result.error?.code;
  source.recordAudit('migrate', result.keyId, started, {
    tool: 'phlow-keys',
    targetStoreType: to,
    ...(result.kid ? { kid: result.kid } : {}),
    outcome: code === undefined ? 'success' : code === 'ACCESS_DENIED' ? 'denied' : 'failure',
    ...(code ? { errorCode: code } : {}),
  });
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const from = stringValue(context.values, 'from');
  const to = stringValue(context.values, 'to');
  if (!from || !to) throw new UsageError('migrate needs --from <type> and --to <type>', 'migrate');
  if (canonical(from) === canonical(to)) {
    throw new UsageError(
      `--from and --to are the same store (${describeUserInput(canonical(from))})`,
      'migrate',
    );
  }
  if (canonical(to) === 'memory') {
    throw new UsageError(
      '--to memory: the memory store lives only in this process and loses every key when phlow-keys exits; choose a lasting destination (encrypted_file, vault, aws, ...)',
      'migrate',
    );
  }
  const ids = someIds(context);
  const as = context.values.as;
  const mappings = parseMappings(Array.isArray(as) ? as.filter((v) => typeof v === 'string') : []);
  const dryRun = context.values['dry-run'] === true;
  const overwrite = context.values.overwrite === true;
  const { out } = context;
  const open = (type: string) =>
    openStore(type, { env: context.env, cwd: context.cwd, onWarning: (message) => out.warn(message) });

  const stores: KeyStore[] = [];
  const results: MigrationResult[] = [];
  try {
    const source = await open(from);
    stores.push(source);
    const destination = await open(to);
    stores.push(destination);
    if (!destination.capabilities.write) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        destination.capabilities.signer === true
          ? `cannot migrate to ${to}: it makes its keys inside the backend and takes no key material (importing is not implemented); create new keys there (phlow-keys generate <id>) and rotate your agents onto them`
          : `cannot migrate to ${to}: the store is read-only; choose a writable destination (encrypted_file, vault, aws)`,
        { storeType: destination.type },
      );
    }
    const fromManager = new KeyManager({ store: source, env: context.env });
    const toManager = new KeyManager({ store: destination, env: context.env });
    const listed =
      ids.length > 0 || (mappings.size > 0 && !source.capabilities.list)
        ? []
        : await listIds(source, `pass the key ids: phlow-keys migrate --from ${from} --to ${to} <id>...`);
    const plan = planCopies({
      named: ids,
      listed,
      sourceType: source.type,
      mappings,
      destinationIds: await destinationIds(destination, listed),
    });
    const progress = progressBar(out, plan.length);
    let stopped = false;
    for (const [i, planned] of plan.entries()) {
      const { keyId, sourceId } = planned;
      progress.update(i, keyId);
      const named = { keyId, ...(sourceId !== keyId ? { sourceId } : {}) };
      if (planned.status) {
        results.push({
          ...named,
          status: planned.status,
          ...(planned.reason ? { reason: planned.reason } : {}),
        });
        continue;
      }
      if (stopped) {
        results.push({ ...named, status: 'not-attempted' });
        continue;
      }
      const started = performance.now();
      const result = await migrateOne(planned, fromManager, toManager, { dryRun, overwrite });
      recordMigration(fromManager, started, result, destination.type);
      results.push(result);
      if (result.error && STORE_WIDE.has(result.error.code)) stopped = true;
    }
    progress.done();
  } finally {
    for (const store of stores) await store.close?.();
  }

  const summary = Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length]));
  if (out.json) {
    out.data({ from: canonical(from), to: canonical(to), dryRun, overwrite, results, summary });
  } else {
    report(context.out, results, summary, { from: canonical(from), to: canonical(to), dryRun });
  }
  return exitCode(results);
}

function exitCode(results: readonly MigrationResult[]): ExitCode {
  const failed = results.find((r) => r.status === 'failed');
  if (failed) return failed.error ? exitCodeFor(failed.error.code) : EXIT.FAILURE;
  if (results.some((r) => r.status === 'conflict')) return EXIT.CONFLICT;
  // Not copied until the user says which id was meant: a usage matter.
  if (results.some((r) => r.status === 'ambiguous')) return EXIT.USAGE;
  return EXIT.OK;
}

function report(
  out: Parameters<Command['run']>[0]['out'],
  results: readonly MigrationResult[],
  summary: Record<string, number>,
  run: { from: string; to: string; dryRun: boolean },
): void {
  out.line(
    `${out.paint('bold', 'migrate')} ${run.from} -> ${run.to}${run.dryRun ? ' (dry run: nothing written)' : ''}`,
  );
  if (results.length === 0) {
    out.note(`no keys in ${run.from}: nothing to migrate`);
    return;
  }
  const colour = (status: MigrationStatus) =>
    status === 'failed' || status === 'conflict' || status === 'ambiguous'
      ? out.paint('red', status)
      : status === 'copied' || status === 'overwritten'
        ? out.paint('green', status)
        : status;
  const notes = results.some((r) => r.reason);
  out.table(
    ['ID', 'RESULT', 'KID', ...(notes ? ['NOTE'] : [])],
    results.map((r) => [r.keyId, colour(r.status), r.kid ?? '-', ...(notes ? [r.reason ?? ''] : [])]),
  );
  for (const r of results) {
    if (r.error) out.error(`${r.keyId}: ${r.error.message}`);
    if (r.status === 'conflict') {
      out.note(
        `${r.keyId}: a different key exists at ${run.to}; left as it is (use --overwrite to replace it)`,
      );
    }
  }
  const counts = Object.entries(summary)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  out.line(`${counts}. The source (${run.from}) was not changed.`);
  const allDone = results.every(
    (r) => r.status === 'copied' || r.status === 'overwritten' || r.status === 'skipped',
  );
  if (!run.dryRun && allDone) {
    out.line(`Next: export PHLOW_KEY_STORE_TYPE=${run.to} and restart your application.`);
    if (run.from === 'environment') {
      out.line('Then remove the PHLOW_PRIVATE_KEY_* and PHLOW_PUBLIC_KEY_* variables from its environment.');
    }
  } else if (results.some((r) => r.status === 'ambiguous')) {
    out.line(
      'Say which id each ambiguous key is for with --as <source>=<id> and run the same command again.',
    );
  } else if (!run.dryRun && results.some((r) => r.status === 'failed' || r.status === 'not-attempted')) {
    out.line('Fix the error and run the same command again: keys already copied are skipped.');
  }
}
