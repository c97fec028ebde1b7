/**
 * migrate and the Python Phlow's rotation leftovers: `<id>_new` listed beside `<id>` is skipped with its
 * reason (the Python rotation wrote it and never removed it), and copied when named.
 */
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, initProject, json, pemPair } from './helpers.js';

const current = pemPair();
const leftover = pemPair();
const lone = pemPair();
const env = baseEnv({
  PHLOW_PRIVATE_KEY_agent: current.privateKey,
  PHLOW_PUBLIC_KEY_agent: current.publicKey,
  PHLOW_PRIVATE_KEY_agent_new: leftover.privateKey,
  PHLOW_PUBLIC_KEY_agent_new: leftover.publicKey,
  PHLOW_PRIVATE_KEY_lone_new: lone.privateKey,
  PHLOW_PUBLIC_KEY_lone_new: lone.publicKey,
});
const MIGRATE = ['migrate', '--from', 'environment', '--to', 'encrypted_file'];

describe('migrate: Python rotation leftovers', () => {
  it('skips a listed <id>_new beside <id>, with the reason, in --json and in the table', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(result.code).toBe(0);
    const byId = Object.fromEntries(json(result).results.map((r: { keyId: string }) => [r.keyId, r]));
    expect(byId.agent).toMatchObject({ status: 'copied' });
    expect(byId.lone_new).toMatchObject({ status: 'copied' });
    expect(byId.agent_new).toEqual({
      keyId: 'agent_new',
      status: 'skipped',
      reason: expect.stringContaining('Python rotation leftover'),
    });
    expect(json(await cli(['get', 'agent_new', '--json'], { cwd })).error.code).toBe('NOT_FOUND');

    const human = await cli([...MIGRATE, '--dry-run'], { cwd: await initProject(), env });
    expect(human.stdout).toMatch(/NOTE/);
    expect(human.stdout).toMatch(/agent_new\s+skipped\s+-\s+Python rotation leftover/);
  });

  it('copies <id>_new when it is named', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, 'agent', 'agent_new', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(json(result).results.map((r: { status: string }) => r.status)).toEqual(['copied', 'copied']);
    expect((await cli(['get', 'agent_new'], { cwd })).stdout).toBe(leftover.publicKey);
  });
});
