/**
 * The spawn audit of `pnpm test` (tooling/test-run): a process started by bare name under the preload is
 * recorded, including through a shell and through the ESM named imports tests use, and a name that neither the
 * machine image nor a tooling/services install script provides is reported; zsh counts as provisioned only
 * because tooling/services/zsh/install.sh installs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  allowedCommands,
  imageCommands,
  installedByScripts,
  unprovisioned,
} from '../../test-run/provisioned.mjs';

const preload = pathToFileURL(join(import.meta.dirname, '..', '..', 'test-run', 'spawn-audit.mjs')).href;

describe('spawn audit', { timeout: 60_000 }, () => {
  it('records commands started by name, directly, through a shell and from ESM, and not paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-spawn-audit-test-'));
    const log = join(dir, 'spawned.tsv');
    const child = join(dir, 'child.mjs');
    writeFileSync(
      child,
      `import { execFileSync, execSync, spawnSync, spawn } from 'node:child_process';
execFileSync('true');
execSync('FOO=1 uname >/dev/null');
execSync('(sleep 0; true)');
spawnSync('phlow-no-such-tool-xyz', ['--version']);
spawnSync(process.execPath, ['-e', '0']);
spawn('sh', ['-c', 'zsh -c true']).on('error', () => {}).on('close', () => {});
`,
    );
    const r = spawnSync(process.execPath, [`--import=${preload}`, child], {
      env: { ...process.env, PHLOW_SPAWN_LOG: log },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const names = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]);
    expect(names.sort()).toEqual(['phlow-no-such-tool-xyz', 'sleep', 'true', 'uname', 'zsh']);
  });

  it('reports what nothing provides, with the directory that started it', () => {
    const log =
      'zsh\t/repo/apps/cli\nelvish\t/repo/apps/cli\nnode\t/repo/x\nvitest\t/repo/x\nelvish\t/repo/y\n';
    expect(unprovisioned(log)).toEqual([{ name: 'elvish', dirs: ['/repo/apps/cli', '/repo/y'] }]);
  });

  it('takes zsh and softhsm2-util from the install scripts, not from the image list', () => {
    const scripts = installedByScripts().map((c: { name: string }) => c.name);
    expect(scripts).toEqual(expect.arrayContaining(['zsh', 'softhsm2-util']));
    expect(imageCommands()).not.toContain('zsh');
    expect(allowedCommands().has('phlow-keys')).toBe(true);
  });
});
