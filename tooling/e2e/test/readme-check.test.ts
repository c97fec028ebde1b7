/** readme-check.mjs on small READMEs: a second run that fails fails the check, markers are honoured and listed. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const check = (fixture: string) => {
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '..', 'readme-check.mjs'), `tooling/e2e/test/fixtures/${fixture}`],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: r.status, out: r.stdout + r.stderr };
};

// Each run starts node and tsc; on a loaded machine that takes seconds.
describe('readme-check', { timeout: 180_000 }, () => {
  it('fails a block that works once but not on the second run in the same directory', () => {
    const { status, out } = check('second-run.md');
    expect(status).toBe(1);
    expect(out).toMatch(/FAIL {5}tooling\/e2e\/test\/fixtures\/second-run\.md:3 ts: run 2 of 2 exit 1/);
    expect(out).toContain('CONFLICT: already there');
  });

  it('runs a once-per-directory block again in a fresh directory, lists not-run and data blocks', () => {
    const { status, out } = check('once-per-directory.md');
    expect(out).toContain('ran twice (second run in a fresh directory: it refuses to run twice in one place');
    expect(out).toMatch(/not run +\S+:11 bash: needs a cloud account/);
    expect(out).toMatch(/data +\S+:15 jsonc/);
    expect(status).toBe(0);
  });

  it('fails a block that prints a private key, without repeating it', () => {
    const { status, out } = check('leak.md');
    expect(status).toBe(1);
    expect(out).toContain('run 1 of 2 printed key material');
    expect(out).not.toContain('BEGIN PRIVATE KEY');
  });

  it('passes what a bash block exported to the blocks after it', () => {
    const { status, out } = check('exports.md');
    expect(out).toContain('readme-check: 2 blocks ran twice');
    expect(status).toBe(0);
  });
});
