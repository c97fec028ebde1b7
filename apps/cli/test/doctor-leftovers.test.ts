/**
 * What doctor reports beyond "the store works": NODE_DEBUG (Node can print the Vault token), the Python
 * Phlow's `<id>_new` rotation leftovers, keys deleted with a recovery window and ids the key-id rule refuses.
 * The last two are asked of stores that can say (duck-typed `listRecoverableKeyIds` / `listInvalidKeyIds`):
 * here a store module given by path, over core's memory store, that says so.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonRotationLeftovers } from '../src/python-leftovers.js';
import { baseEnv, cli, initProject, json, tempDir } from './helpers.js';

interface Check {
  name: string;
  status: string;
  detail: string;
  advice?: { title: string; steps: string[] };
}
const byName = (result: Awaited<ReturnType<typeof cli>>, name: string): Check | undefined =>
  (json(result).checks as Check[]).find((c) => c.name === name);

const CORE = pathToFileURL(resolve(import.meta.dirname, '../../../packages/keys-core/dist/index.js')).href;

describe('doctor: data and settings that surprise later', () => {
  it('warns when NODE_DEBUG is set, and says nothing when it is not', async () => {
    const cwd = await initProject();
    const warned = await cli(['doctor', '--json'], { cwd, env: baseEnv({ NODE_DEBUG: 'http,net' }) });
    expect(warned.code).toBe(0);
    expect(byName(warned, 'debug output')).toMatchObject({ status: 'warn' });
    expect(byName(warned, 'debug output')?.detail).toContain('Vault token');
    for (const env of [baseEnv(), baseEnv({ NODE_DEBUG: '' })]) {
      expect(byName(await cli(['doctor', '--json'], { cwd, env }), 'debug output')).toBeUndefined();
    }
  });

  it('flags <id>_new beside <id> as Python rotation leftovers, not a lone x_new', async () => {
    const cwd = await initProject();
    for (const id of ['a', 'a_new', 'lone_new']) expect((await cli(['generate', id], { cwd })).code).toBe(0);
    const result = await cli(['doctor', '--json'], { cwd });
    expect(result.code).toBe(0);
    const check = byName(result, 'python leftovers');
    expect(check).toMatchObject({ status: 'warn', advice: { title: 'Python rotation leftovers' } });
    expect(check?.detail).toContain('"a_new"');
    expect(check?.detail).not.toContain('lone_new');
    const clean = await initProject();
    await cli(['generate', 'a'], { cwd: clean });
    expect(byName(await cli(['doctor', '--json'], { cwd: clean }), 'python leftovers')).toBeUndefined();
  });

  it('asks a store that can say for deleted-but-recoverable keys and for ids it cannot serve', async () => {
    const cwd = tempDir();
    const adapter = join(cwd, 'reporting-store.mjs');
    writeFileSync(
      adapter,
      `import { createMemoryKeyStore, defineKeyStoreProvider } from ${JSON.stringify(CORE)};
export default defineKeyStoreProvider({
  type: 'reporting',
  create: () => Object.assign(createMemoryKeyStore(), {
    listRecoverableKeyIds: async () => ['gone-1', 'gone-2'],
    listInvalidKeyIds: async () => ['agent@example.com', 'org/agent'],
  }),
});
`,
    );
    const result = await cli(['--store', adapter, 'doctor', '--json'], { cwd });
    expect(result.code).toBe(0);
    const deleted = byName(result, 'deleted keys');
    expect(deleted).toMatchObject({ status: 'warn' });
    expect(deleted?.detail).toContain('2 keys are deleted but recoverable');
    expect(deleted?.advice?.steps.join(' ')).toContain('InvalidRequestException');
    const invalid = byName(result, 'unusable ids');
    expect(invalid).toMatchObject({ status: 'warn' });
    expect(invalid?.detail).toContain('2 entries have ids the key id rule refuses');
    expect(invalid?.detail).toContain('"org/agent"');
  });

  it('does not ask a store that cannot say', async () => {
    const cwd = await initProject();
    const result = await cli(['doctor', '--json'], { cwd });
    expect(byName(result, 'deleted keys')).toBeUndefined();
  });

  it('pythonRotationLeftovers pairs each _new id with its base id', () => {
    expect(pythonRotationLeftovers(['a', 'a_new', 'b_new', '_new', 'c_new_new', 'c_new'])).toEqual([
      'a_new',
      'c_new_new',
    ]);
  });
});
