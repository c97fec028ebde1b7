/**
 * `doctor` on AWS KMS (ministack's KMS, started by tooling/services/ministack/with-ministack.sh, which the
 * package's test script runs), a store that keeps deleted keys for a waiting period (`delayedDestroy`):
 * without `--write-check` it creates no KMS key (counted with KMS's own ListKeys before and after); with it,
 * the scratch key is written, read back and left scheduled for deletion, and doctor says so.
 */
import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, json, tempDir } from './helpers.js';

const NAMES = ['AWS_ENDPOINT_URL_KMS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

let kms: KMSClient;
const env = () =>
  baseEnv({
    PHLOW_KEY_STORE_TYPE: 'aws_kms',
    ...Object.fromEntries(NAMES.map((name) => [name, process.env[name]])),
    AWS_EC2_METADATA_DISABLED: 'true',
  });

/** Every KMS key id in the account, pending deletion or not. */
async function kmsKeyIds(): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker: marker }));
    ids.push(...(page.Keys ?? []).map((k) => k.KeyId ?? ''));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return ids;
}

interface Row {
  readonly name: string;
  readonly status: string;
  readonly detail?: string;
}

describe('doctor on aws_kms (a store whose deleted keys linger)', () => {
  const cwd = tempDir('doctor-kms');
  beforeAll(() => {
    const missing = NAMES.filter((name) => !process.env[name]);
    if (missing.length > 0) {
      throw new Error(
        `${missing.join(', ')} not set: run through tooling/services/ministack/with-ministack.sh (pnpm test does)`,
      );
    }
    kms = new KMSClient({});
  });
  afterAll(() => kms?.destroy());

  it('without --write-check: no KMS key is created, the write row says why and how to ask for it', {
    timeout: 120_000,
  }, async () => {
    const before = await kmsKeyIds();
    const result = await cli(['doctor', '--json'], { cwd, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const rows: Row[] = json(result).checks;
    const write = rows.find((r) => r.name === 'write');
    expect(write?.status).toBe('skip');
    expect(write?.detail).toContain('--write-check');
    expect(rows.find((r) => r.name === 'delete')).toBeUndefined();
    expect(rows.find((r) => r.name === 'connect')?.status).toBe('ok');
    expect((await kmsKeyIds()).sort()).toEqual(before.sort());

    const text = await cli(['doctor'], { cwd, env: env() });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/write.*not tried.*--write-check/);
  });

  it('with --write-check: the scratch key is written and read back, then left scheduled for deletion, with a warning', {
    timeout: 120_000,
  }, async () => {
    const before = new Set(await kmsKeyIds());
    const result = await cli(['doctor', '--write-check', '--json'], { cwd, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const rows: Row[] = json(result).checks;
    expect(rows.find((r) => r.name === 'write')).toMatchObject({ status: 'ok' });
    const remove = rows.find((r) => r.name === 'delete');
    expect(remove?.status).toBe('warn');
    expect(remove?.detail).toMatch(
      /phlow-doctor-[0-9a-f]+: aws_kms keeps it, unusable, until its deletion date/,
    );

    const added = (await kmsKeyIds()).filter((id) => !before.has(id));
    expect(added).toHaveLength(1);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: added[0] }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
  });
});
