/**
 * One key that cannot give its public key breaks that key only (issue 19, AWS KMS), on ministack's KMS. Ids
 * are aliases anyone with kms:CreateAlias/UpdateAlias can point anywhere, for example at a symmetric key (no
 * public key). Such an id reads as a typed per-key error (UNSUPPORTED, never UNAVAILABLE, which callers treat
 * as the whole store being down, and no longer INVALID_CONFIG, which reads as the store's settings being
 * wrong), so KeyManager's JWK Set leaves it out and serves the rest (core's jwk-set.ts); the other ids keep
 * listing and reading. A broken older version is left out of its id's versions, reported through onWarning;
 * the current version still serves.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { isKeyStoreError } from '@phlow/keys-core';
import { afterAll, describe, expect, it } from 'vitest';
import { currentAlias, versionAlias } from '../src/aliases.js';
import { createAwsKmsKeyStore } from '../src/index.js';

const uid = (label: string) =>
  `kms-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isKeyStoreError(e) ? e.code : String(e)),
  );

describe('aws_kms: one broken key', () => {
  const store = createAwsKmsKeyStore();
  const kms = new KMSClient({});
  afterAll(async () => {
    await store.close();
    kms.destroy();
  });

  /** A KMS key this store did not create: symmetric (KMS's default), which has no public key. */
  async function foreignKey(_kind: 'symmetric'): Promise<string> {
    return (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  }

  /** An id whose aliases (current and v1) point at `target`, as anyone allowed kms:CreateAlias can do. */
  async function idPointingAt(label: string, target: string): Promise<string> {
    const keyId = uid(label);
    await kms.send(new CreateAliasCommand({ AliasName: versionAlias(keyId, 1), TargetKeyId: target }));
    await kms.send(new CreateAliasCommand({ AliasName: currentAlias(keyId), TargetKeyId: target }));
    return keyId;
  }

  it('an id whose alias points at a symmetric key is UNSUPPORTED for that id only; the other ids read', async () => {
    const good = uid('good');
    await store.createKey(good);
    const symmetric = await idPointingAt('symmetric', await foreignKey('symmetric'));
    expect(await store.listKeyIds()).toEqual(expect.arrayContaining([good, symmetric]));
    const error = await store
      .getPublicKeyVersions(symmetric)
      .catch((e: unknown) => e as Error & { code?: string });
    expect(error).toMatchObject({ code: 'UNSUPPORTED', keyId: symmetric });
    expect((error as Error).message).toContain('not an asymmetric signing key');
    expect(await code(store.getPublicKey(symmetric))).toBe('UNSUPPORTED');
    expect(await store.getPublicKey(good)).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect((await store.getPublicKeyVersions(good)).map((v) => v.version)).toEqual(['1']);
  });

  // ministack still gives the public key of a disabled or pending-deletion key (AWS answers DisabledException /
  // KMSInvalidStateException, mapped to NOT_FOUND and handled by the same path), so the symmetric key stands in.
  it.each(['symmetric'] as const)(
    'an older version whose alias was moved to a %s key is left out, reported by id, version and code; the id still serves',
    async (kind) => {
      const warnings: string[] = [];
      const watched = createAwsKmsKeyStore({ onWarning: (m) => warnings.push(m) });
      try {
        const keyId = uid(`older-${kind}`);
        await watched.createKey(keyId);
        await watched.rotateKey(keyId, { expectedVersion: '1' });
        await kms.send(
          new UpdateAliasCommand({ AliasName: versionAlias(keyId, 1), TargetKeyId: await foreignKey(kind) }),
        );
        const versions = await watched.getPublicKeyVersions(keyId);
        expect(versions.map((v) => [v.version, v.current])).toEqual([['2', true]]);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(
          new RegExp(
            `^\\[phlow\\] \\[aws_kms\\] version 1 of key "${keyId}" is left out .* \\((UNSUPPORTED|NOT_FOUND)\\)$`,
          ),
        );
      } finally {
        await watched.close();
      }
    },
  );
});
