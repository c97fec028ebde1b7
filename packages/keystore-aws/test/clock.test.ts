/**
 * Time from one clock on the AWS Secrets Manager store (issue 19 item 5), on moto. Secrets Manager dates
 * versions itself, so only the activation time comes from the rotating host's clock; it is compared with the
 * secret's LastChangedDate (AWS's clock, one DescribeSecret the rotation makes anyway). More than 5 minutes
 * behind: INVALID_CONFIG, nothing written; less: the activation moves so that the new key keeps its whole delay
 * after the version it replaces. The host is a child process whose clock is frozen at a chosen instant.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { KeyManager } from '@phlow/keys-core';
import { rotateWithFrozenClock } from '@phlow/test-support/frozen-clock';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsKeyStore } from '../src/index.js';
import { freshId } from './helpers/keys.js';
import { requireMoto } from './helpers/moto.js';
import { plainClient } from './helpers/sdk.js';

requireMoto();
const DELAY = 60_000;
const MIN = 60_000;

function rotateFrom(frozenMs: number, keyId: string) {
  return rotateWithFrozenClock({
    storeModule: pathToFileURL(join(import.meta.dirname, '../dist/index.js')).href,
    factory: 'createAwsKeyStore',
    keyId,
    delayMs: DELAY,
    frozenMs,
  });
}

describe('aws: a rotation from a host whose clock is behind', () => {
  const store = createAwsKeyStore();
  const sdk = plainClient();
  const created: string[] = [];
  afterAll(async () => {
    for (const keyId of created) await store.deleteKeyPair(keyId, { destroy: true }).catch(() => {});
    await store.close();
    sdk.destroy();
  });

  /** A new key; AWS's time of its last change. */
  async function firstVersion(label: string) {
    const keyId = freshId(label);
    created.push(keyId);
    await new KeyManager({ store, env: {} }).createKey(keyId);
    const out = await sdk.send(new DescribeSecretCommand({ SecretId: `phlow/${keyId}` }));
    return { keyId, lastChanged: out.LastChangedDate!.getTime() };
  }

  it.each([
    ['25 h', 25 * 60 * MIN],
    ['20 min', 20 * MIN],
  ])("%s behind AWS's last change: refused, nothing written", async (_label, behind) => {
    const { keyId, lastChanged } = await firstVersion('behind');
    const before = await store.getKeyVersions(keyId);
    const out = await rotateFrom(lastChanged - behind, keyId);
    expect(out).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(out.message).toMatch(/^\[phlow\] \[aws\] this host's clock .* behind the newest version of key/);
    expect((await store.getKeyVersions(keyId)).map((v) => v.version)).toEqual(before.map((v) => v.version));
  });

  it('2 min behind: written, and the new key activates a whole delay after the last change', async () => {
    const { keyId, lastChanged } = await firstVersion('slightly');
    const out = await rotateFrom(lastChanged - 2 * MIN, keyId);
    expect(out).toMatchObject({ ok: true });
    const [newest, previous] = await store.getKeyVersions(keyId);
    expect(previous).toBeDefined();
    // Without the correction it would be lastChanged - 2 min + DELAY: already past on every correct host.
    expect(newest?.activatesAt?.getTime()).toBe(lastChanged + DELAY);
  });
});
