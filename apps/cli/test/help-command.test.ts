/**
 * `phlow-keys help` and `phlow-keys help <command>`: what people type first. They print exactly what `--help`
 * and `<command> --help` print (exit 0); an unknown `help <x>` is the unknown-command error with its
 * suggestion (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

const NAMES = ['init', 'generate', 'get', 'list', 'rotate', 'delete', 'jwks', 'sign', 'verify', 'token'];
const MORE = ['verify-token', 'card', 'http', 'migrate', 'rekey', 'doctor', 'audit', 'completion', 'help'];

describe('help as a command', () => {
  it('`help` prints what --help prints, exit 0, and lists help among the commands', async () => {
    const cwd = tempDir();
    const help = await cli(['help'], { cwd });
    const flag = await cli(['--help'], { cwd });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toBe(flag.stdout);
    expect(help.stdout).toMatch(/\n {2}help +/);
    expect(help.stdout).toContain('phlow-keys help <command>');
  });

  it.each([...NAMES, ...MORE])('`help %s` prints what `<command> --help` prints', async (name) => {
    const cwd = tempDir();
    const help = await cli(['help', name], { cwd });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain(`Usage: phlow-keys ${name}`);
    expect(help.stdout).toBe((await cli([name, '--help'], { cwd })).stdout);
  });

  it('global flags around it change nothing: `--store vault help get`, `help get --debug`', async () => {
    const cwd = tempDir();
    const expected = (await cli(['get', '--help'], { cwd })).stdout;
    expect((await cli(['--store', 'vault', 'help', 'get'], { cwd })).stdout).toBe(expected);
    expect((await cli(['help', 'get', '--debug'], { cwd })).stdout).toBe(expected);
  });

  it('an unknown `help <x>` is the usual unknown-command error, with a suggestion (exit 2)', async () => {
    const result = await cli(['help', 'gnerate'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unknown command "gnerate" (did you mean generate?)');
  });

  it('a pasted secret after help is not echoed', async () => {
    const secret = 'ab'.repeat(32);
    const result = await cli(['help', secret], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(not shown)');
    expect(result.stderr).not.toContain(secret);
  });
});
