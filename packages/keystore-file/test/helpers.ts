// Shared test helpers: temporary directories, throwaway key pairs, a raw master key, and child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';
import { afterEach, expect } from 'vitest';
import { generateMasterKey } from '../src/master-key.js';

export interface PemPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

const pem = (kind: 'ed25519' | 'rsa'): PemPair => {
  const { privateKey, publicKey } =
    kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
};

export const ed25519Pair = (): PemPair => pem('ed25519');
let rsa: PemPair | undefined;
export const rsa2048Pair = (): PemPair => {
  rsa ??= pem('rsa');
  return rsa;
};

/** One raw key for most tests: no KDF, so the suite stays fast. */
export const RAW_KEY = generateMasterKey();
/** scrypt at the lowest allowed cost, for tests that need a passphrase but are not about the KDF. */
export const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'phlow-file-'));
  dirs.push(dir);
  return dir;
}

export const readBytes = (path: string) => new Uint8Array(readFileSync(path));

/** Awaits `promise` and expects a KeyStoreError with `code`; returns it for further checks. */
export async function expectCode(promise: Promise<unknown>, code: KeyStoreErrorCode) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isKeyStoreError(error)) throw new Error(`expected a KeyStoreError ${code}, got ${String(error)}`);
  expect(error.code).toBe(code);
  return error;
}

export const childScript = (name: string) => join(import.meta.dirname, 'children', name);

/** Starts `node test/children/<name> ...args`, collecting stdout lines as they come. */
export function startChild(name: string, args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [childScript(name), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, lines, exited, stderr: () => stderr };
}

/** Runs a child to the end and fails with its stderr if it did not exit 0. */
export async function runChild(name: string, args: string[], env: Record<string, string> = {}) {
  const run = startChild(name, args, env);
  const { code } = await run.exited;
  if (code !== 0) throw new Error(`child ${name} exited with ${code}: ${run.stderr()}`);
  return run.lines;
}
