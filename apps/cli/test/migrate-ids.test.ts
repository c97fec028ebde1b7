/**
 * migrate never changes an id behind the user's back. The environment store lists PHLOW_PRIVATE_KEY_MY_AGENT
 * as MY_AGENT, which the env README says is how to export id my-agent: without a way to know the intended id
 * such a key is `ambiguous` (not copied, exit 2, the `--as` to give in the message); `--as MY_AGENT=my-agent`
 * or a destination that already holds my-agent resolves it, and the mapping shows in the table and --json.
 * Real environment variables, a real encrypted file store, the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { parseMappings, planCopies } from '../src/commands/migrate/migrate-plan.js';
import { baseEnv, cli, initProject, json, pemPair } from './helpers.js';

const agent = pemPair();
const plain = pemPair();
const env = baseEnv({
  PHLOW_PRIVATE_KEY_MY_AGENT: agent.privateKey,
  PHLOW_PUBLIC_KEY_MY_AGENT: agent.publicKey,
  PHLOW_PRIVATE_KEY_plain: plain.privateKey,
  PHLOW_PUBLIC_KEY_plain: plain.publicKey,
});
const MIGRATE = ['migrate', '--from', 'environment', '--to', 'encrypted_file'];
const ids = async (cwd: string) =>
  json(await cli(['list', '--json'], { cwd })).keys.map((k: { keyId: string }) => k.keyId);

describe('migrate keeps ids: upper-snake environment variables', () => {
  it('without a mapping: MY_AGENT is ambiguous, not copied (exit 2); the others are copied', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(result.code).toBe(2);
    expect(json(result).results).toEqual([
      {
        keyId: 'MY_AGENT',
        status: 'ambiguous',
        reason: expect.stringContaining('--as MY_AGENT=my-agent'),
      },
      { keyId: 'plain', kid: expect.any(String), status: 'copied' },
    ]);
    expect(json(result).summary).toMatchObject({ ambiguous: 1, copied: 1 });
    expect(await ids(cwd)).toEqual(['plain']);

    const human = await cli(MIGRATE, { cwd: await initProject(), env });
    expect(human.stdout).toMatch(
      /MY_AGENT\s+ambiguous\s+-\s+PHLOW_PRIVATE_KEY_MY_AGENT may be for id my-agent/,
    );
    expect(human.stdout).toContain('--as <source>=<id>');
    expect(human.stdout).not.toContain('export PHLOW_KEY_STORE_TYPE');
  });

  it('--as MY_AGENT=my-agent copies it as my-agent, and says so in the table and --json', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, '--as', 'MY_AGENT=my-agent', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(json(result).results[0]).toEqual({
      keyId: 'my-agent',
      sourceId: 'MY_AGENT',
      reason: 'from MY_AGENT (--as)',
      kid: expect.any(String),
      status: 'copied',
    });
    expect(await ids(cwd)).toEqual(['my-agent', 'plain']);
    expect((await cli(['get', 'my-agent'], { cwd })).stdout).toBe(agent.publicKey);

    const again = await cli([...MIGRATE, '--as', 'MY_AGENT=my-agent'], { cwd, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/my-agent\s+skipped\s+\S+\s+from MY_AGENT \(--as\)/);
  });

  it('--as MY_AGENT=MY_AGENT keeps the spelling on purpose', async () => {
    const cwd = await initProject();
    const result = await cli([...MIGRATE, '--as', 'MY_AGENT=MY_AGENT', '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(await ids(cwd)).toEqual(['MY_AGENT', 'plain']);
  });

  it('both spellings present: my-agent already at the destination resolves MY_AGENT to it', async () => {
    const cwd = await initProject();
    const named = await cli([...MIGRATE, 'my-agent'], { cwd, env });
    expect(named.code).toBe(0);
    const result = await cli([...MIGRATE, '--json'], { cwd, env });
    expect(result.code).toBe(0);
    expect(json(result).results[0]).toMatchObject({
      keyId: 'my-agent',
      sourceId: 'MY_AGENT',
      status: 'skipped',
      reason: 'from MY_AGENT (my-agent exists at the destination)',
    });
    expect(await ids(cwd)).toEqual(['my-agent', 'plain']);
  });

  it('bad mappings are usage errors and write nothing', async () => {
    const cwd = await initProject();
    for (const [as, message] of [
      [['nope'], '--as takes <source id>=<destination id>'],
      [['A=b', 'A=c'], 'maps "A" twice'],
      [['MY_AGENT=plain'], 'would both be written as plain'],
      [['A=bad/id'], 'invalid key id'],
    ] as const) {
      const result = await cli([...MIGRATE, ...as.flatMap((a) => ['--as', a])], { cwd, env });
      expect(result.code, as.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await ids(cwd)).toEqual([]);
  });

  it('planCopies: only all-capitals ids from the environment store are ambiguous', () => {
    const plan = (listed: string[], sourceType = 'environment', destinationIds: string[] = []) =>
      planCopies({ named: [], listed, sourceType, mappings: parseMappings([]), destinationIds }).map(
        (p) => p.status ?? p.keyId,
      );
    expect(plan(['MY_AGENT', 'my_agent', 'MyAgent', 'agent1'])).toEqual([
      'ambiguous',
      'my_agent',
      'MyAgent',
      'agent1',
    ]);
    expect(plan(['MY_AGENT'], 'vault')).toEqual(['MY_AGENT']);
    expect(plan(['MY_AGENT'], 'environment', ['MY_AGENT'])).toEqual(['ambiguous']);
    expect(plan(['MY_AGENT'], 'environment', ['my-agent', 'my_agent'])).toEqual(['ambiguous']);
    expect(plan(['MY_AGENT'], 'environment', ['my.agent'])).toEqual(['my.agent']);
    expect(
      planCopies({
        named: ['MY_AGENT'],
        listed: [],
        sourceType: 'environment',
        mappings: new Map(),
        destinationIds: [],
      }),
    ).toEqual([{ sourceId: 'MY_AGENT', keyId: 'MY_AGENT' }]);
  });
});
