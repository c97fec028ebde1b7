/**
 * Hostile sizes on every input a command reads from a file or stdin (bounded-input.ts): `/dev/zero` as stdin
 * or as the file, which never ends. Each command reads at most its bound plus one byte and exits with a clear
 * error, instead of filling memory until the process dies.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject } from './helpers.js';

/** `phlow-keys <args>` with /dev/zero as stdin. */
function withZeroStdin(args: readonly string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done, fail) => {
    const zero = openSync('/dev/zero', 'r');
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: baseEnv() as NodeJS.ProcessEnv,
      stdio: [zero, 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', fail);
    child.on('close', (code) =>
      done({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

describe('an endless input ends in a clear error', () => {
  it('sign and verify: a message on stdin over 64 MiB is a usage error (exit 2)', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const signed = await withZeroStdin(['sign', 'a'], cwd);
    expect(signed.code).toBe(2);
    expect(signed.stderr).toContain('over 64 MiB');
    const verified = await withZeroStdin(['verify', 'a', '--signature=AAAA'], cwd);
    expect(verified.code).toBe(2);
    expect(verified.stderr).toContain('over 64 MiB');
  });

  it('verify-token: a token on stdin is read only to one byte past the longest accepted (TOO_LARGE)', async () => {
    const cwd = await initProject();
    const result = await withZeroStdin(['verify-token'], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TOO_LARGE');
  });

  it('http verify, card sign and card verify: /dev/zero as the file', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const http = await cli(['http', 'verify', '/dev/zero', '--key', 'a'], { cwd });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('over 1 MiB');
    const card = await cli(['card', 'sign', 'a', '/dev/zero'], { cwd });
    expect(card.code).not.toBe(0);
    expect(card.stderr).toContain('TOO_LARGE');
    const cardStdin = await withZeroStdin(['card', 'verify', '-', '--id', 'a'], cwd);
    expect(cardStdin.code).not.toBe(0);
    expect(cardStdin.stderr).toContain('TOO_LARGE');
  });

  it('rekey --new-master-key-file /dev/zero is a usage error, and the store still opens with its key', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const rekey = await cli(['rekey', '--new-master-key-file', '/dev/zero'], { cwd });
    expect(rekey.code).toBe(2);
    expect(rekey.stderr).toContain('over 64 KiB');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });
});
