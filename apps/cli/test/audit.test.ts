/**
 * The audit trail through the built CLI: with PHLOW_KEY_AUDIT_LOG set, every key command leaves exactly the
 * events it should (one per key access; a public `get` none), migrate and rekey record their own, nothing
 * secret reaches the log, and `phlow-keys audit` summarizes it with failures first.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, pemBody, pemPair } from './helpers.js';

interface Event {
  operation: string;
  outcome: string;
  storeType: string;
  keyId?: string;
  kid?: string;
  caller?: string;
  private?: boolean;
  valid?: boolean;
  rotation?: string;
  errorCode?: string;
  tool?: string;
  targetStoreType?: string;
  time: string;
  durationMs: number;
}

describe('audit trail through the CLI', () => {
  it('records one event per key access with the right fields, nothing secret, and summarizes the log', async () => {
    const cwd = await initProject();
    const log = join(cwd, 'audit.log');
    const migrated = pemPair();
    const env = baseEnv({
      PHLOW_KEY_AUDIT_LOG: log,
      PHLOW_KEY_AUDIT_CALLER: 'alice@ops',
      PHLOW_PRIVATE_KEY_imported: migrated.privateKey,
      PHLOW_PUBLIC_KEY_imported: migrated.publicKey,
    });
    const seen = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Event);
    let before = 0;
    /** Runs the CLI and returns the events that run added. */
    const run = async (args: string[], expectCode = 0) => {
      const result = await cli(args, { cwd, env });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(expectCode);
      const all = seen();
      const added = all.slice(before);
      before = all.length;
      return { result, added };
    };
    const ops = (events: Event[]) => events.map((e) => [e.operation, e.rotation ?? e.outcome]);

    const message = 'wire 500 to mallory, ref 77f3';
    const generated = await run(['generate', 'a']);
    expect(ops(generated.added)).toEqual([['generate', 'success']]);
    expect(generated.added[0]).toMatchObject({
      keyId: 'a',
      storeType: 'encrypted_file',
      caller: 'alice@ops',
    });

    expect((await run(['get', 'a'])).added).toEqual([]); // the public key is no private access

    const exported = await run(['get', 'a', '--private']);
    expect(exported.added).toEqual([
      expect.objectContaining({ operation: 'read', private: true, keyId: 'a' }),
    ]);
    const privatePem = exported.result.stdout;

    const signed = await run(['sign', 'a', '--message', message]);
    expect(ops(signed.added)).toEqual([['sign', 'success']]);
    const signature = signed.result.stdout.trim();
    expect(signed.added[0]?.kid).toBe(generated.added[0]?.kid);

    const good = await run(['verify', 'a', `--signature=${signature}`, '--message', message]);
    expect(good.added).toEqual([expect.objectContaining({ operation: 'verify', valid: true })]);
    const bad = await run(['verify', 'a', `--signature=${signature}`, '--message', 'forged'], 1);
    expect(bad.added).toEqual([expect.objectContaining({ operation: 'verify', valid: false })]);

    // Tokens: signJwt signs through KeyManager (a sign event), verifyJwt records its verification.
    const minted = await run(['token', 'a']);
    expect(ops(minted.added)).toEqual([['sign', 'success']]);
    const token = minted.result.stdout.trim();
    const accepted = await run(['verify-token', token]);
    expect(accepted.added).toEqual([
      expect.objectContaining({ operation: 'verify', valid: true, keyId: 'a', kid: signed.added[0]?.kid }),
    ]);
    const tampered = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
    const refused = await run(['verify-token', tampered], 1);
    expect(refused.added).toEqual([
      expect.objectContaining({
        operation: 'verify',
        outcome: 'success',
        valid: false,
        errorCode: 'SIGNATURE_INVALID',
        keyId: 'a',
      }),
    ]);

    expect(ops((await run(['rotate', 'a'])).added)).toEqual([['rotate', 'staged']]);
    expect(ops((await run(['rotate', 'a', '--now'])).added)).toEqual([['rotate', 'emergency']]);
    expect(ops((await run(['rotate', 'a', '--revoke-previous'])).added)).toEqual([['revoke', 'emergency']]);

    const missing = await run(['sign', 'nope', '--message', message], 3);
    expect(missing.added).toEqual([
      expect.objectContaining({
        operation: 'sign',
        outcome: 'failure',
        errorCode: 'NOT_FOUND',
        keyId: 'nope',
      }),
    ]);

    const migration = await run(['migrate', '--from', 'environment', '--to', 'encrypted_file', 'imported']);
    const migrateEvents = migration.added.filter((e) => e.operation === 'migrate');
    expect(migrateEvents).toEqual([
      expect.objectContaining({
        keyId: 'imported',
        storeType: 'environment',
        targetStoreType: 'encrypted_file',
        outcome: 'success',
        tool: 'phlow-keys',
      }),
    ]);
    // The key reads and the write it took are on record too, each once.
    expect(migration.added.filter((e) => e.operation === 'store')).toHaveLength(1);

    expect(ops((await run(['delete', 'imported', '--yes'])).added)).toEqual([['delete', 'success']]);
    expect(ops((await run(['delete', 'a', '--yes', '--destroy'])).added)).toEqual([['destroy', 'success']]);

    const masterBefore = readFileSync(join(cwd, '.phlow/master.key'), 'utf8').trim();
    const rekeyed = await run(['rekey']);
    expect(rekeyed.added).toEqual([
      expect.objectContaining({
        operation: 'rekey',
        outcome: 'success',
        storeType: 'encrypted_file',
        tool: 'phlow-keys',
      }),
    ]);
    const masterAfter = readFileSync(join(cwd, '.phlow/master.key'), 'utf8').trim();

    for (const e of seen()) {
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    const text = readFileSync(log, 'utf8');
    for (const secret of [
      pemBody(privatePem),
      pemBody(migrated.privateKey),
      masterBefore.replace(/^base64:/, ''),
      masterAfter.replace(/^base64:/, ''),
      signature,
      message,
      'forged',
      token.split('.')[1] as string,
      token.split('.')[2] as string,
    ]) {
      expect(text).not.toContain(secret);
    }

    // The summary: failures first, then by count.
    const total = seen().length;
    writeFileSync(log, `${readFileSync(log, 'utf8')}not json\n{"no":"operation"}\n`, { mode: 0o600 });
    const summary = json(await cli(['audit', '--json'], { cwd, env }));
    expect(summary.skipped).toBe(2);
    expect(summary.events).toBe(total);
    type Row = {
      outcome: string;
      keyId: string;
      operation: string;
      errors: Record<string, number>;
      caller: string;
    };
    const rows: Row[] = summary.rows;
    const firstSuccess = rows.findIndex((r) => r.outcome === 'success');
    expect(rows.slice(firstSuccess).every((r) => r.outcome === 'success')).toBe(true);
    expect(rows.slice(0, firstSuccess)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          outcome: 'failure',
          keyId: 'nope',
          operation: 'sign',
          errors: { NOT_FOUND: 1 },
        }),
        expect.objectContaining({ outcome: 'invalid', keyId: 'a', operation: 'verify' }),
      ]),
    );
    expect(summary.rows.every((r: { caller: string }) => r.caller === 'alice@ops')).toBe(true);
    const table = await cli(['audit', log], { cwd, env: baseEnv() });
    expect(table.code).toBe(0);
    expect(table.stderr).toContain('skipped 2 malformed lines');
    const lines = table.stdout.split('\n');
    const nope = lines.findIndex((l) => /failure\s+alice@ops\s+nope\s+encrypted_file\s+sign\s+1\s/.test(l));
    expect(nope).toBeGreaterThan(0);
    expect(nope).toBeLessThan(lines.findIndex((l) => l.startsWith('success')));
  }, 300_000);

  it("the CLI's own events (migrate, rekey) follow core's caller rule, as KeyManager's events do", async () => {
    const cwd = await initProject();
    const log = join(cwd, 'audit.log');
    const pair = pemPair();
    // A control character in the identity: core's rule removes it, so no event can forge a line break.
    const env = baseEnv({
      PHLOW_KEY_AUDIT_LOG: log,
      PHLOW_KEY_AUDIT_CALLER: 'ops\u0007bot',
      PHLOW_PRIVATE_KEY_imported: pair.privateKey,
      PHLOW_PUBLIC_KEY_imported: pair.publicKey,
    });
    for (const args of [
      ['generate', 'a'],
      ['migrate', '--from', 'environment', '--to', 'encrypted_file', 'imported'],
      ['rekey'],
    ]) {
      const result = await cli(args, { cwd, env });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    const events = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event);
    const callers = (op: string) => events.filter((e) => e.operation === op).map((e) => e.caller);
    expect(callers('generate')).toEqual(['opsbot']);
    expect(callers('migrate')).toEqual(['opsbot']);
    expect(callers('rekey')).toEqual(['opsbot']);
  });

  it('PHLOW_KEY_AUDIT_LOG=stderr writes the events to stderr as JSON lines', async () => {
    const cwd = await initProject();
    const env = baseEnv({ PHLOW_KEY_AUDIT_LOG: 'stderr' });
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const signed = await cli(['sign', 'a', '--message', 'secret message'], { cwd, env });
    expect(signed.code).toBe(0);
    const lines = signed.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ operation: 'sign', keyId: 'a', outcome: 'success' }),
    ]);
    expect(signed.stderr).not.toContain('secret message');
    expect(signed.stderr).not.toContain(signed.stdout.trim());
  });

  it('a file named on the command line that is missing or not a regular file is a usage error (exit 2) naming the argument', async () => {
    const cwd = await initProject();
    const dev = await cli(['audit', '/dev/zero'], { cwd });
    expect(dev.code).toBe(2);
    expect(dev.stderr).toContain('the audit [file] argument names a device, not a regular file');
    // A FIFO with no writer is refused at once (a blocking open would wait for a writer for ever).
    const fifo = join(cwd, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    const piped = await cli(['audit', fifo], { cwd });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('names a FIFO, not a regular file');
    const missing = await cli(['audit', join(cwd, 'none.log')], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the audit [file] argument names no file (ENOENT)');
    expect(missing.stderr).toContain('phlow-keys audit --help');
    for (const result of [dev, piped, missing]) {
      expect(result.stderr).not.toContain('PHLOW_KEY_AUDIT_LOG');
      expect(result.stderr).not.toContain(cwd);
    }
    const unnamed = await cli(['audit'], { cwd });
    expect(unnamed.code).toBe(2);
  });

  it('a PHLOW_KEY_AUDIT_LOG that names no file or a FIFO is a configuration error (exit 6) that says so', async () => {
    const cwd = await initProject();
    const fifo = join(cwd, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [path, problem] of [
      [join(cwd, 'none.log'), 'PHLOW_KEY_AUDIT_LOG names no file (ENOENT)'],
      [fifo, 'PHLOW_KEY_AUDIT_LOG names a FIFO, not a regular file'],
    ] as const) {
      const result = await cli(['audit'], { cwd, env: baseEnv({ PHLOW_KEY_AUDIT_LOG: path }) });
      expect(result.code, path).toBe(6);
      expect(result.stderr).toContain(problem);
      expect(result.stderr).not.toContain(cwd);
    }
  });
});
