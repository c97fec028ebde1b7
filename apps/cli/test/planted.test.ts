/**
 * The CLI loads its adapters from the application's own dependencies or from its own installation, never from
 * a node_modules planted in a parent of the working directory (issue 14 item 4, the CLI's side of it).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, tempDir } from './helpers.js';

function plant(parent: string, marker: string): void {
  const dir = join(parent, 'node_modules', '@phlow', 'keystore-file');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: '@phlow/keystore-file', version: '9.9.9', type: 'module', main: 'index.js' }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { contractVersion: '1.0.0', type: 'encrypted_file', create() { throw new Error('planted'); } };\n`,
  );
}

describe('planted adapters', () => {
  it('a @phlow/keystore-file planted in a parent of the working directory never runs', async () => {
    const parent = tempDir('planted');
    const marker = join(parent, 'marker');
    plant(parent, marker);
    const cwd = join(parent, 'work', 'project');
    mkdirSync(cwd, { recursive: true });
    const env = baseEnv();
    const init = await cli(['init'], { cwd, env });
    expect(init.code).toBe(0);
    const generated = await cli(['generate', 'planted-check'], { cwd, env });
    expect(generated.code).toBe(0);
    const list = await cli(['list', '--json'], { cwd, env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('planted-check');
    expect(existsSync(marker)).toBe(false);
  });
});
