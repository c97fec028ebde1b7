/**
 * One audit log shared by several processes (a fleet on one host, or a CLI run beside the service): each
 * process signs through its own KeyManager with PHLOW_KEY_AUDIT_LOG pointing at the same file, and every line
 * of the result is one whole event, none lost, none torn. The child is core's source bundled with esbuild.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'phlow-audit-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROCESSES = 4;
const SIGNS = 400;

function run(file: string, env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [file],
      { timeout: 240_000, env: { PATH: process.env.PATH ?? '', ...env } },
      (error) => (error ? fail(error) : done()),
    );
  });
}

describe('a shared audit log', () => {
  it(`${PROCESSES} processes x ${SIGNS} signatures: every line is one whole event, none missing`, async () => {
    const entry = join(dir, 'child.mjs');
    writeFileSync(
      entry,
      `import { createMemoryKeyStore, KeyManager } from ${JSON.stringify(resolve(import.meta.dirname, '../src/index.ts'))};
const keys = new KeyManager({ store: createMemoryKeyStore(), caller: process.env.WHO });
await keys.generateKeyPair('agent');
// Bursts of signatures in one event-loop turn, then a turn boundary, as a busy service has them.
for (let burst = 0; burst < ${SIGNS} / 50; burst++) {
  await Promise.all(Array.from({ length: 50 }, () => keys.sign('agent', 'm')));
  await new Promise((r) => setImmediate(r));
}
`,
    );
    const bundled = join(dir, 'child.bundle.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundled,
      logLevel: 'silent',
    });
    const log = join(dir, 'shared.log');
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) =>
        run(bundled, { PHLOW_KEY_AUDIT_LOG: log, WHO: `replica-${i}` }),
      ),
    );
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    const events = lines.map((line) => JSON.parse(line) as { operation: string; caller: string });
    expect(events).toHaveLength(PROCESSES * (SIGNS + 1));
    for (let i = 0; i < PROCESSES; i++) {
      const mine = events.filter((e) => e.caller === `replica-${i}`);
      expect(mine.filter((e) => e.operation === 'sign')).toHaveLength(SIGNS);
      expect(mine.filter((e) => e.operation === 'generate')).toHaveLength(1);
    }
  }, 300_000);
});
