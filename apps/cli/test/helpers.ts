/**
 * Runs the BUILT CLI (dist/cli.js) as a child process, the way an operator does: its own working directory,
 * an environment the test controls (no PHLOW_* or VAULT_* leaking in from the shell that runs the tests),
 * stdin given or closed, and no terminal.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../dist/cli.js');
export const DEMO = resolve(import.meta.dirname, '../demo.sh');

if (!existsSync(CLI)) {
  throw new Error(`${CLI} is missing: build first (pnpm turbo run build --filter=@phlow/cli...)`);
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type TestEnv = Record<string, string | undefined>;

/** A HOME with nothing in it (no ~/.vault-token, no ~/.aws). */
const home = mkdtempSync(join(tmpdir(), 'phlow-cli-home-'));

/** The variables every run gets; tests add the store's. */
export function baseEnv(extra: TestEnv = {}): TestEnv {
  return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...extra };
}

export function tempDir(label = 'project'): string {
  return mkdtempSync(join(tmpdir(), `phlow-cli-${label}-`));
}

export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: TestEnv; input?: string | Uint8Array },
): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: Object.fromEntries(Object.entries(options.env ?? baseEnv()).filter(([, v]) => v !== undefined)),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(options.input);
  });
}

/** `phlow-keys <args>` in `cwd`. */
export function cli(
  args: readonly string[],
  options: { cwd: string; env?: TestEnv; input?: string | Uint8Array },
) {
  return runCommand(process.execPath, [CLI, ...args], options);
}

/** Parses stdout as JSON, with the output in the failure message when it is not JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the shapes are asserted with expect(), not with types.
export function json<T = any>(result: Result): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A fresh Ed25519 or RSA pair as PEMs, as an older deployment would have them in its environment. */
export function pemPair(type: 'ed25519' | 'rsa' = 'ed25519'): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/** The base64 body of a PEM, as one string: what would show up if key material leaked into output. */
export function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((line) => line && !line.startsWith('-----'))
    .join('');
}

/** A directory with `phlow-keys init` done. */
export async function initProject(env: TestEnv = baseEnv()): Promise<string> {
  const cwd = tempDir();
  const result = await cli(['init'], { cwd, env });
  if (result.code !== 0) throw new Error(`init failed: ${result.stderr}`);
  return cwd;
}

/** A key id no other test or run uses. */
export function uid(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
