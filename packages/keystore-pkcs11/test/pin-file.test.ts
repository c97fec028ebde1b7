/**
 * The PIN file (PHLOW_PKCS11_PIN_FILE, the pinFile option) read through core's regular-file rules, without a
 * token: a regular file reads (through a symbolic link too, as secrets mounts give it); a FIFO, a device, a
 * directory, a symbolic link to a device and a file over 256 bytes are refused; and no error echoes the
 * setting's value, which is the PIN itself when someone sets the variable to the PIN instead of a path.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Pkcs11KeyStoreOptions, resolvePkcs11Config } from '../src/options.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-pin-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// resolvePkcs11Config only checks that the module path is absolute; nothing here loads it.
const base = { PHLOW_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so', PHLOW_PKCS11_TOKEN: 'phlow' };

function refusal(options: Pkcs11KeyStoreOptions): Error & { code?: string; cause?: unknown } {
  try {
    resolvePkcs11Config({ cwd: dir, ...options });
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the PIN file to be refused');
}

/** Everything an error shows: message, stack, JSON form and cause. */
const shown = (error: Error & { cause?: unknown }) =>
  `${error.message}${error.stack}${JSON.stringify(error)}${String(error.cause)}`;

describe('pkcs11 PIN file', () => {
  it('a PIN given as a number (a JSON or YAML config) is refused by name, its value not shown', () => {
    for (const name of ['pinFile', 'pin', 'token', 'module'] as const) {
      const error = refusal({ env: base, [name]: 90817263 } as unknown as Pkcs11KeyStoreOptions);
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain(`the ${name} option must be a string`);
      expect(shown(error)).not.toContain('90817263');
    }
  });

  it('a PIN where a path was expected is not echoed: the error names the setting, not its value', () => {
    for (const value of ['4711-0815-s3cret-PIN', '/4711-0815-s3cret-PIN', 'pin with spaces 98765']) {
      const fromVariable = refusal({ env: { ...base, PHLOW_PKCS11_PIN_FILE: value } });
      expect(fromVariable.code).toBe('INVALID_CONFIG');
      expect(fromVariable.message).toContain('PHLOW_PKCS11_PIN_FILE');
      expect(fromVariable.message).toContain('ENOENT');
      expect(shown(fromVariable)).not.toContain(value);
      const fromOption = refusal({ env: base, pinFile: value });
      expect(fromOption.message).toContain('the pinFile option');
      expect(shown(fromOption)).not.toContain(value);
    }
  });

  it('refuses a FIFO, /dev/zero, a directory and a link to a device, naming what they are and no path', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const toZero = join(dir, 'link-to-zero');
    symlinkSync('/dev/zero', toZero);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    for (const [path, kind] of [
      [fifo, 'FIFO'],
      ['/dev/zero', 'device'],
      [directory, 'directory'],
      [toZero, 'device'],
    ] as const) {
      const error = refusal({ env: { ...base, PHLOW_PKCS11_PIN_FILE: path } });
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain(`PHLOW_PKCS11_PIN_FILE names a ${kind}, not a regular file`);
      expect(shown(error)).not.toContain(path);
      expect(shown(error)).not.toContain(dir);
    }
  });

  it('reads at most 256 bytes: a PIN of 256 reads, a file of 257 is refused without its content shown', () => {
    const exact = join(dir, 'exact');
    writeFileSync(exact, 'p'.repeat(256));
    expect(resolvePkcs11Config({ env: { ...base, PHLOW_PKCS11_PIN_FILE: exact } }).pin).toBe('p'.repeat(256));
    const big = join(dir, 'big');
    writeFileSync(big, `${'q'.repeat(256)}!`);
    const error = refusal({ env: { ...base, PHLOW_PKCS11_PIN_FILE: big } });
    expect(error.message).toContain('larger than a PIN (256 bytes)');
    expect(shown(error)).not.toContain('qqqq');
    expect(shown(error)).not.toContain(big);
  });

  it('follows a symbolic link to the PIN file, as a Kubernetes secret volume lays it out', () => {
    // A secret volume: <mount>/pin -> ..data/pin, ..data -> ..<timestamp>, the real file inside that.
    const mount = join(dir, 'secret-volume');
    mkdirSync(join(mount, '..2026_12_07_19_00_00.000000001'), { recursive: true });
    writeFileSync(join(mount, '..2026_12_07_19_00_00.000000001', 'pin'), '123456\n');
    symlinkSync('..2026_12_07_19_00_00.000000001', join(mount, '..data'));
    symlinkSync('..data/pin', join(mount, 'pin'));
    const config = resolvePkcs11Config({ env: { ...base, PHLOW_PKCS11_PIN_FILE: join(mount, 'pin') } });
    expect(config.pin).toBe('123456');
  });

  it('a relative path is read from cwd; one trailing newline (LF or CRLF) is not part of the PIN', () => {
    writeFileSync(join(dir, 'crlf'), '2468\r\n');
    expect(resolvePkcs11Config({ cwd: dir, env: { ...base, PHLOW_PKCS11_PIN_FILE: 'crlf' } }).pin).toBe(
      '2468',
    );
    writeFileSync(join(dir, 'lf'), '1357\n');
    expect(resolvePkcs11Config({ cwd: dir, env: base, pinFile: 'lf' }).pin).toBe('1357');
  });
});
