/**
 * Hostile inputs on every input a command reads from a file or stdin (bounded-input.ts): `/dev/zero` as stdin,
 * which never ends, and a file larger than the bound: each command reads at most its bound plus one byte and
 * exits with a clear error, instead of filling memory until the process dies. A path that is not a regular
 * file (a FIFO with no writer, `/dev/zero`, a directory) is refused before anything is read, instead of
 * blocking for ever.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject } from './helpers.js';

/**
 * A safety net only: a CLI that blocked would otherwise hang the suite. Nothing is asserted about time; a
 * child killed by it fails the test on its exit code and signal.
 */
const KILL_AFTER_MS = 60_000;

/** `phlow-keys <args>` with `stdin` (default /dev/zero) as stdin, killed after KILL_AFTER_MS. */
function withStdin(args: readonly string[], cwd: string, stdin = '/dev/zero') {
  return new Promise<{ code: number; signal: string | null; stdout: string; stderr: string }>(
    (done, fail) => {
      const input = openSync(stdin, 'r');
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd,
        env: baseEnv() as NodeJS.ProcessEnv,
        stdio: [input, 'pipe', 'pipe'],
        timeout: KILL_AFTER_MS,
      });
      closeSync(input);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      child.on('error', fail);
      child.on('close', (code, signal) =>
        done({
          code: code ?? 1,
          signal,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        }),
      );
    },
  );
}

/** A sparse regular file of `bytes` zero bytes (no disk used), larger than every input bound. */
function largeFile(dir: string, bytes = 128 * 1024 * 1024): string {
  const path = join(dir, 'large.bin');
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

const NOT_REGULAR = 'not a regular file: give a regular file, or pass - and pipe the input on stdin';

describe('an endless input ends in a clear error', () => {
  it('sign and verify: a message on stdin over 64 MiB is a usage error (exit 2)', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const signed = await withStdin(['sign', 'a'], cwd);
    expect(signed.code).toBe(2);
    expect(signed.stderr).toContain('over 64 MiB');
    const verified = await withStdin(['verify', 'a', '--signature=AAAA'], cwd);
    expect(verified.code).toBe(2);
    expect(verified.stderr).toContain('over 64 MiB');
  });

  it('verify-token: a token on stdin is read only to one byte past the longest accepted (TOO_LARGE)', async () => {
    const cwd = await initProject();
    const result = await withStdin(['verify-token'], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TOO_LARGE');
  });

  it('http verify, card sign and card verify: a file over the bound', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const large = largeFile(cwd);
    const http = await cli(['http', 'verify', large, '--key', 'a'], { cwd });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('over 1 MiB');
    const card = await cli(['card', 'sign', 'a', large], { cwd });
    expect(card.code).not.toBe(0);
    expect(card.stderr).toContain('TOO_LARGE');
    const cardStdin = await withStdin(['card', 'verify', '-', '--id', 'a'], cwd);
    expect(cardStdin.code).not.toBe(0);
    expect(cardStdin.stderr).toContain('TOO_LARGE');
  });

  it('http sign --body-file over 1 MiB is a usage error; within it, the body is signed', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const large = await cli(['http', 'sign', 'a', 'https://api.example/x', '--body-file', largeFile(cwd)], {
      cwd,
    });
    expect(large.code).toBe(2);
    expect(large.stderr).toContain('the body is over 1 MiB');
    const small = join(cwd, 'body.json');
    writeFileSync(small, '{"hello":"world"}');
    const signed = await cli(['http', 'sign', 'a', 'https://api.example/x', '--body-file', small], { cwd });
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('content-digest:');
  });

  it('rekey --new-master-key-file over 64 KiB is a usage error, and the store still opens with its key', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const rekey = await cli(['rekey', '--new-master-key-file', largeFile(cwd)], { cwd });
    expect(rekey.code).toBe(2);
    expect(rekey.stderr).toContain('over 64 KiB');
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });
});

describe('a path that is not a regular file is refused, not waited on', () => {
  it('a FIFO with no writer: http verify, http sign --body-file, card sign, card verify and rekey are refused (exit 2), not left waiting', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const fifo = join(cwd, 'input.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status, String(made.stderr)).toBe(0);
    // stdin is a regular empty file: only the FIFO could block these commands.
    const empty = join(cwd, 'empty');
    writeFileSync(empty, '');
    for (const args of [
      ['http', 'verify', fifo, '--key', 'a'],
      ['card', 'sign', 'a', fifo],
      ['card', 'verify', fifo, '--id', 'a'],
      ['rekey', '--new-master-key-file', fifo],
      ['http', 'sign', 'a', 'https://api.example/x', '--body-file', fifo],
    ]) {
      const result = await withStdin(args, cwd, empty);
      expect(result.signal, args.join(' ')).toBeNull();
      expect(result.code, args.join(' ')).toBe(2);
      // rekey's new master key must stay a file: its advice does not offer stdin.
      expect(result.stderr, args.join(' ')).toContain(
        args[0] === 'rekey' ? 'not a regular file: give a regular file\n' : NOT_REGULAR,
      );
      expect(result.stderr).not.toContain(fifo);
    }
    // The store was not touched by the refused rekey.
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it('/dev/zero and a directory as the file are refused the same way', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    for (const path of ['/dev/zero', cwd]) {
      const http = await cli(['http', 'verify', path, '--key', 'a'], { cwd });
      expect(http.code, path).toBe(2);
      expect(http.stderr, path).toContain(NOT_REGULAR);
      const card = await cli(['card', 'sign', 'a', path], { cwd });
      expect(card.code, path).toBe(2);
      expect(card.stderr, path).toContain(NOT_REGULAR);
      const body = await cli(['http', 'sign', 'a', 'https://api.example/x', '--body-file', path], { cwd });
      expect(body.code, path).toBe(2);
      expect(body.stderr, path).toContain(NOT_REGULAR);
    }
  });

  it('a regular file still reads as before (pipe through - is unchanged)', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const path = join(cwd, 'request.txt');
    writeFileSync(path, 'GET / HTTP/1.1\r\nhost: api.example\r\n\r\n');
    const fromFile = await cli(['http', 'verify', path, '--key', 'a'], { cwd });
    const fromStdin = await withStdin(['http', 'verify', '-', '--key', 'a'], cwd, path);
    // Unsigned: both refused by the verifier (not by the reader), with the same code.
    expect(fromFile.stderr).not.toContain(NOT_REGULAR);
    expect(fromFile.stderr).toContain('MISSING_SIGNATURE');
    expect(fromStdin.code).toBe(fromFile.code);
    expect(fromStdin.stderr).toContain('MISSING_SIGNATURE');
  });
});
