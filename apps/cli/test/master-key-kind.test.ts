/**
 * doctor's passphrase-or-raw-key note reads the master key file through core's regular-file helper: a
 * passphrase and a raw key in a regular file are told apart (through a symbolic link too); a FIFO with no
 * writer, /dev/zero, a directory and a missing file give "cannot tell" at once instead of blocking doctor.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { masterKeyIsPassphrase } from '../src/commands/doctor/master-key-kind.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-master-kind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fromFile = (file: string) => masterKeyIsPassphrase({ source: 'PHLOW_MASTER_KEY_FILE', file }, {});

describe('doctor: is the master key file a passphrase', () => {
  it('tells a passphrase from a raw key in a regular file, and through a symbolic link', async () => {
    const passphrase = join(dir, 'pass.key');
    writeFileSync(passphrase, 'a long passphrase\n', { mode: 0o600 });
    const raw = join(dir, 'raw.key');
    writeFileSync(raw, `  base64:${Buffer.alloc(32, 1).toString('base64')}\n`, { mode: 0o600 });
    const link = join(dir, 'raw.link');
    symlinkSync(raw, link);
    expect(await fromFile(passphrase)).toBe(true);
    expect(await fromFile(raw)).toBe(false);
    expect(await fromFile(link)).toBe(false);
  });

  it('cannot tell (undefined) for a FIFO with no writer, /dev/zero, a directory or a missing file', async () => {
    const fifo = join(dir, 'master.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero', dir, join(dir, 'missing.key')]) {
      expect(await fromFile(file), file).toBeUndefined();
    }
  });
});
