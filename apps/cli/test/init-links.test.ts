/**
 * `init` never follows a symbolic link: a `.phlow` link to another directory is refused before anything is
 * written or chmod-ed there, a `.gitignore` link (or FIFO) is left alone with a warning, and a link planted
 * where the master key goes counts as an existing file.
 */
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, json, tempDir } from './helpers.js';

describe('init and symbolic links', () => {
  it('refuses a .phlow that links to another directory, leaving that directory as it was', async () => {
    const cwd = tempDir();
    const elsewhere = tempDir('elsewhere');
    execFileSync('chmod', ['0755', elsewhere]);
    symlinkSync(elsewhere, join(cwd, '.phlow'));
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('is a symbolic link');
    expect(statSync(elsewhere).mode & 0o777).toBe(0o755);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a .phlow that is a file', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.phlow'), 'x');
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('not a directory');
  });

  it('treats a dangling link at .phlow/master.key as an existing master key', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '.phlow'), { mode: 0o700 });
    const target = join(tempDir('target'), 'stolen.key');
    symlinkSync(target, join(cwd, '.phlow/master.key'));
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(8);
    expect(() => lstatSync(target)).toThrow();
  });

  it('leaves a .gitignore link and its target alone and says what to add by hand', async () => {
    const cwd = tempDir();
    const target = join(tempDir('target'), 'somefile');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, join(cwd, '.gitignore'));
    const result = await cli(['init', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(cwd, '.gitignore')).isSymbolicLink()).toBe(true);
    expect(json(result).gitignore).toEqual({
      path: '.gitignore',
      added: [],
      skipped: 'it is a symbolic link',
    });
    expect(result.stderr).toContain('add .phlow/ to it yourself');
  });

  it("leaves a .gitignore with another hard link alone (another name could make it someone else's file)", async () => {
    const cwd = tempDir();
    const target = join(tempDir('target'), 'somefile');
    writeFileSync(target, 'precious\n');
    linkSync(target, join(cwd, '.gitignore'));
    const result = await cli(['init', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(json(result).gitignore).toEqual({
      path: '.gitignore',
      added: [],
      skipped: 'it has other hard links',
    });
  });

  it('does not hang on a .gitignore that is a FIFO', async () => {
    const cwd = tempDir();
    execFileSync('mkfifo', [join(cwd, '.gitignore')]);
    const result = await cli(['init'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('not a regular file');
  });

  it('leaves a .gitignore over 1 MiB alone (sparse, not read)', async () => {
    const cwd = tempDir();
    const path = join(cwd, '.gitignore');
    writeFileSync(path, '');
    truncateSync(path, 64 * 1024 * 1024);
    const result = await cli(['init', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(json(result).gitignore).toMatchObject({ added: [], skipped: 'it is larger than 1048576 bytes' });
    expect(statSync(path).size).toBe(64 * 1024 * 1024);
  });

  it('still creates and appends to a regular .gitignore', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.gitignore'), 'node_modules');
    expect((await cli(['init'], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, '.gitignore'), 'utf8')).toMatch(
      /^node_modules\n\n# phlow-keys: .*\n\.phlow\/\n$/,
    );
    const fresh = tempDir();
    expect((await cli(['init'], { cwd: fresh })).code).toBe(0);
    expect(readFileSync(join(fresh, '.gitignore'), 'utf8')).toMatch(/^# phlow-keys: .*\n\.phlow\/\n$/);
    expect(statSync(join(fresh, '.phlow')).mode & 0o777).toBe(0o700);
  });
});
