/**
 * What `rekey` refuses before it writes anything: a missing key file (it would create an empty one), a new
 * master key file that is missing, not a file, `-`, readable by others, or a passphrase too short for a new key.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKey } from '@phlow/keystore-file';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, tempDir } from './helpers.js';

/** The key file, the master key file and the names in .phlow: what a refused rekey must leave as it was. */
function snapshot(cwd: string) {
  return {
    keyFile: readFileSync(join(cwd, '.phlow/keys.enc')).toString('base64'),
    masterKey: readFileSync(join(cwd, '.phlow/master.key'), 'utf8'),
    names: readdirSync(join(cwd, '.phlow')).sort(),
  };
}

describe('rekey refuses before writing', () => {
  it('with no key file: names the missing file as get does (exit 3) and creates nothing', async () => {
    const cwd = tempDir();
    // As in the walkthrough: a master key file and a new one that would both be taken.
    const master = join(tempDir('master'), 'x');
    writeFileSync(master, `${generateMasterKey()}\n`, { mode: 0o600 });
    const env = baseEnv({ PHLOW_MASTER_KEY_FILE: master });
    const newKey = join(tempDir('new'), 'y');
    writeFileSync(newKey, `${generateMasterKey()}\n`, { mode: 0o600 });
    const result = await cli(['rekey', '--new-master-key-file', newKey], { cwd, env });
    const refusal =
      'there is no key file at .phlow/keys.enc (the default): run `phlow-keys init` here, or point PHLOW_KEY_STORE_FILE at your key file';
    expect(result.stderr).toContain(`error: [phlow] [encrypted_file] ${refusal}`);
    expect(result.code).toBe(3);
    // get says the same and exits the same.
    const get = await cli(['get', 'a'], { cwd, env });
    expect(get.stderr).toContain(refusal);
    expect(result.code).toBe(get.code);
    expect(result.stdout).not.toContain('rekeyed');
    expect(existsSync(join(cwd, '.phlow'))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
    const generated = await cli(['rekey'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY: 'an old passphrase' }) });
    expect(generated.code).toBe(3);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('--new-master-key-file takes a file only: -, a missing path and a device are usage errors naming the option', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const before = snapshot(cwd);
    const piped = await cli(['rekey', '--new-master-key-file', '-'], {
      cwd,
      input: 'a long enough passphrase\n',
    });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('--new-master-key-file takes a file, not - (stdin)');
    expect(piped.stderr).not.toContain('ENOENT: no such file');
    const secretName = join(cwd, 'Zq8r2LkVw0pXy7TbN4mHs1CdE6fGj9QaR3uIo5KlM7n');
    for (const path of ['/nonexistent', 'missing.key', secretName]) {
      const missing = await cli(['rekey', '--new-master-key-file', path], { cwd });
      expect(missing.code, path).toBe(2);
      expect(missing.stderr).toContain('--new-master-key-file names no file (ENOENT): check the path');
      expect(missing.stderr).not.toContain('no such file or directory');
      expect(missing.stderr).not.toContain(path);
      expect(missing.stderr).toContain('phlow-keys rekey --help');
    }
    const device = await cli(['rekey', '--new-master-key-file', '/dev/null'], { cwd });
    expect(device.code).toBe(2);
    expect(device.stderr).toContain('--new-master-key-file names a FIFO, device, socket or directory');
    // The advice offers only what the option takes.
    expect(device.stderr).not.toContain('pass -');
    expect(snapshot(cwd)).toEqual(before);
  });

  it('a new master key file others can read, or a short passphrase, is refused and nothing changes', async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    const before = snapshot(cwd);
    writeFileSync(join(cwd, 'shared.key'), 'a long enough new passphrase\n', { mode: 0o644 });
    const shared = await cli(['rekey', '--new-master-key-file', 'shared.key'], { cwd });
    expect(shared.code).toBe(2);
    expect(shared.stderr).toContain('can be read by other users (mode 644)');
    expect(shared.stderr).toContain('chmod 600');
    for (const weak of ['x', 'garbage', '123456789012345']) {
      writeFileSync(join(cwd, 'weak.key'), `${weak}\n`, { mode: 0o600 });
      const result = await cli(['rekey', '--new-master-key-file', 'weak.key'], { cwd });
      expect(result.code, weak).toBe(2);
      expect(result.stderr).toContain(
        `holds a ${weak.length}-character passphrase; a new master key passphrase needs at least 16 characters`,
      );
      expect(result.stderr).toContain("randomBytes(32).toString('base64')");
      expect(result.stderr).not.toContain(`${weak}\n`);
    }
    expect(snapshot(cwd)).toEqual(before);
    expect((await cli(['get', 'a'], { cwd })).code).toBe(0);
  });

  it("a raw key in init's form, and a 16-character passphrase, are taken", async () => {
    const cwd = await initProject();
    expect((await cli(['generate', 'a'], { cwd })).code).toBe(0);
    writeFileSync(join(cwd, 'raw.key'), `${generateMasterKey()}\n`, { mode: 0o600 });
    const raw = await cli(['rekey', '--new-master-key-file', 'raw.key'], { cwd });
    expect(raw.code, raw.stderr).toBe(0);
    const env = baseEnv({ PHLOW_MASTER_KEY_FILE: 'raw.key' });
    expect((await cli(['get', 'a'], { cwd, env })).code).toBe(0);
    writeFileSync(join(cwd, 'pass.key'), '1234567890123456\n', { mode: 0o600 });
    const pass = await cli(['rekey', '--new-master-key-file', 'pass.key'], { cwd, env });
    expect(pass.code, pass.stderr).toBe(0);
    expect((await cli(['get', 'a'], { cwd, env: baseEnv({ PHLOW_MASTER_KEY_FILE: 'pass.key' }) })).code).toBe(
      0,
    );
  });
});
