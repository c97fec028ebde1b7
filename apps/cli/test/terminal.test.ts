/**
 * Behaviour that depends on a terminal: colour (and NO_COLOR), the delete confirmation, the warning before a
 * private key is printed. util-linux `script` runs the CLI under a pseudo-terminal; without it these tests
 * are reported as skipped, by name.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject, runCommand, type TestEnv } from './helpers.js';

const hasScript = (() => {
  try {
    return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux');
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** Runs `phlow-keys <args>` on a pseudo-terminal; `input` is typed into it. Output is what the terminal shows. */
function onTerminal(args: string[], options: { cwd: string; env?: TestEnv; input?: string }) {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return runCommand('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { TERM: 'xterm', ...(options.env ?? baseEnv()) },
    input: options.input ?? '',
  });
}

describe.skipIf(!hasScript)('on a terminal (needs util-linux script)', () => {
  it('colours output, and NO_COLOR turns it off', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    expect((await onTerminal(['list'], { cwd })).stdout).toContain('\u001b[1m');
    const plain = await onTerminal(['list'], { cwd, env: baseEnv({ NO_COLOR: '1' }) });
    expect(plain.stdout).toContain('VERIFYING');
    expect(plain.stdout).not.toContain('\u001b[1m');
    // no-color.org: an empty NO_COLOR is as if unset.
    expect((await onTerminal(['list'], { cwd, env: baseEnv({ NO_COLOR: '' }) })).stdout).toContain(
      '\u001b[1m',
    );
    expect((await onTerminal(['list'], { cwd, env: baseEnv({ FORCE_COLOR: '0' }) })).stdout).not.toContain(
      '\u001b[1m',
    );
  });

  it('delete asks, and deletes only on "y"', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const declined = await onTerminal(['delete', 'a'], { cwd, input: 'n\n' });
    expect(declined.stdout).toContain('Delete key "a"');
    expect(declined.stdout).toContain('not deleted');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);

    const confirmed = await onTerminal(['delete', 'a'], { cwd, input: 'y\n' });
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain('deleted');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(3);
  });

  it('Ctrl+C at the delete prompt exits 130, deletes nothing, no error or --debug hint', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const command = [process.execPath, CLI, 'delete', 'a'].map(quote).join(' ');
    // ^C typed once the prompt is up (readline then reads it as a key, not as a signal).
    const typed = `(sleep 3; printf '\\003'; sleep 3) | script -qec ${quote(command)} /dev/null`;
    const result = await runCommand('bash', ['-c', typed], { cwd, env: { TERM: 'xterm', ...baseEnv() } });
    expect(result.stdout).toContain('Delete key "a"');
    expect(result.code).toBe(130);
    expect(result.stdout).not.toContain('--debug');
    expect(result.stdout).not.toContain('error:');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it('get --private warns before printing a private key to the terminal', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await onTerminal(['get', 'a', '--private'], { cwd });
    expect(result.stdout).toMatch(/warning:.*printing the PRIVATE key of "a"/);
    expect(result.stdout).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('sign on a terminal without --message asks for one instead of waiting on stdin (exit 2)', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const result = await onTerminal(['sign', 'a'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('pass --message <text> or pipe it on stdin');
  });
});

describe('the migrate progress bar', () => {
  it('is not drawn when stderr is not a terminal', async () => {
    const cwd = await initProject();
    const result = await cli(['migrate', '--from', 'memory', '--to', 'encrypted_file'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('[#');
  });
});
