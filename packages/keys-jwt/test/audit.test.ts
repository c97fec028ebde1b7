/**
 * verifyJwt in the audit trail: one `verify` event per call through the KeyManager's own hook, saying whether
 * the token was valid, why it was refused, or that the store could not be read, and never the token.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditSinkFromEnv,
  createMemoryKeyStore,
  type KeyAuditEvent,
  KeyManager,
  type KeyStore,
  KeyStoreError,
} from '@phlow/keys-core';
import { testClock } from '@phlow/test-support/clock';
import { describe, expect, it, vi } from 'vitest';
import { signJwt, verifyJwt } from '../src/index.js';

function audited(store: KeyStore = createMemoryKeyStore(), now = Date.now) {
  const events: KeyAuditEvent[] = [];
  const keys = new KeyManager({
    store,
    now,
    rotationDelayMs: 0,
    caller: 'gateway',
    onEvent: (e) => {
      if (e.type === 'audit') events.push(e);
    },
  });
  return { keys, events, verifies: () => events.filter((e) => e.operation === 'verify') };
}

describe('verifyJwt audit events', () => {
  it('records a valid token as one verify event with the kid and version that verified it', async () => {
    const { keys, verifies } = audited();
    const pair = await keys.generateKeyPair('alpha');
    const token = await signJwt(keys, 'alpha', { scope: 'read' });
    const result = await verifyJwt(keys, token);
    expect(verifies()).toHaveLength(1);
    const [event] = verifies();
    expect(event).toMatchObject({
      operation: 'verify',
      outcome: 'success',
      valid: true,
      keyId: 'alpha',
      kid: pair.kid,
      storeType: 'memory',
      caller: 'gateway',
    });
    expect(result.version).toEqual(expect.any(String));
    expect(event?.version).toBe(result.version);
    expect(event?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(event)).not.toContain(token.split('.')[2]);
  });

  it('records a refused token with the reason and without its claims or unverified kid', async () => {
    const clock = testClock();
    const { keys, verifies } = audited(createMemoryKeyStore(), clock.now);
    await keys.generateKeyPair('alpha');
    const token = await signJwt(
      keys,
      'alpha',
      { secret: 'claim-value-xyz' },
      { expiresIn: 60, now: clock.now },
    );
    clock.advance(10 * 60_000);
    await expect(verifyJwt(keys, token, { now: clock.now })).rejects.toMatchObject({ code: 'EXPIRED' });

    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
    clock.ms -= 10 * 60_000;
    await expect(verifyJwt(keys, forged, { now: clock.now })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });

    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'attacker-chosen-kid' })).toString(
      'base64url',
    );
    const unknownKid = `${header}.${token.split('.')[1]}.${token.split('.')[2]}`;
    await expect(verifyJwt(keys, unknownKid, { now: clock.now })).rejects.toMatchObject({
      code: 'KID_UNKNOWN',
    });

    expect(verifies().map((e) => [e.outcome, e.valid, e.errorCode, e.keyId])).toEqual([
      ['success', false, 'EXPIRED', 'alpha'],
      ['success', false, 'SIGNATURE_INVALID', 'alpha'],
      ['success', false, 'KID_UNKNOWN', 'alpha'],
    ]);
    const log = JSON.stringify(verifies());
    expect(log).not.toContain('claim-value-xyz');
    expect(log).not.toContain('attacker-chosen-kid');
    for (const e of verifies()) expect(e.kid).toBeUndefined();
  });

  it('records a token refused before its issuer is known without a key id', async () => {
    const { keys, verifies } = audited();
    await expect(verifyJwt(keys, 'not-a-token')).rejects.toMatchObject({ code: 'MALFORMED' });
    expect(verifies()).toEqual([
      expect.objectContaining({ outcome: 'success', valid: false, errorCode: 'MALFORMED' }),
    ]);
    expect(verifies()[0]?.keyId).toBeUndefined();
  });

  it('never records an issuer only a forged iss names: refused, without the id, not a store failure', async () => {
    const { keys, verifies } = audited();
    await keys.generateKeyPair('alpha');
    const token = await signJwt(keys, 'alpha', {});
    const [header, , signature] = token.split('.');
    for (const iss of ['attacker-id-1', 'attacker-id-2']) {
      const claims = Buffer.from(JSON.stringify({ iss, exp: Math.floor(Date.now() / 1000) + 60 })).toString(
        'base64url',
      );
      await expect(verifyJwt(keys, `${header}.${claims}.${signature}`)).rejects.toMatchObject({
        name: 'JwtError',
        code: 'ISSUER_UNKNOWN',
      });
    }
    expect(verifies()).toEqual([
      expect.objectContaining({ outcome: 'success', valid: false, errorCode: 'ISSUER_UNKNOWN' }),
      expect.objectContaining({ outcome: 'success', valid: false, errorCode: 'ISSUER_UNKNOWN' }),
    ]);
    expect(JSON.stringify(verifies())).not.toContain('attacker-id');
    // An issuer the application names is trusted: a missing one is a failure under that id.
    await expect(verifyJwt(keys, token, { keyId: 'beta' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(verifies()[2]).toMatchObject({ outcome: 'failure', errorCode: 'NOT_FOUND', keyId: 'beta' });
  });

  it('records a store that cannot be read as a failed verification with its code, naming only a trusted issuer', async () => {
    const memory = createMemoryKeyStore();
    let down = false;
    const store: KeyStore = {
      ...memory,
      getKeyVersions: async (id) => {
        if (down) throw new KeyStoreError('UNAVAILABLE', 'backend down', { storeType: 'memory' });
        return memory.getKeyVersions!(id);
      },
    };
    const { keys, verifies } = audited(store);
    await keys.generateKeyPair('alpha');
    const token = await signJwt(keys, 'alpha', {});
    keys.clear();
    down = true;
    await expect(verifyJwt(keys, token, { keyId: 'alpha' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // Named by its iss alone, the issuer is unconfirmed while the store is down: the failure has no id.
    await expect(verifyJwt(keys, token)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(verifies()).toEqual([
      expect.objectContaining({ outcome: 'failure', errorCode: 'UNAVAILABLE', keyId: 'alpha' }),
      expect.objectContaining({ outcome: 'failure', errorCode: 'UNAVAILABLE', keyId: undefined }),
    ]);
    expect(verifies()[0]?.valid).toBeUndefined();
  });

  it('records nothing and costs nothing extra without a hook or sink', async () => {
    const keys = new KeyManager({ store: createMemoryKeyStore(), rotationDelayMs: 0, env: {} });
    expect(keys.auditing).toBe(false);
    const recorded = vi.spyOn(keys, 'recordAudit');
    await keys.generateKeyPair('alpha');
    const token = await signJwt(keys, 'alpha', {});
    await expect(verifyJwt(keys, token)).resolves.toMatchObject({ keyId: 'alpha' });
    await expect(verifyJwt(keys, `${token}x`)).rejects.toThrow();
    expect(recorded).not.toHaveBeenCalled();
  });
});

describe('verifyJwt under PHLOW_KEY_AUDIT_FAIL_CLOSED', () => {
  it('accepts no token whose audit line cannot be written; refusals stay refusals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-fail-closed-'));
    const env = { PHLOW_KEY_AUDIT_LOG: join(dir, 'audit.log'), PHLOW_KEY_AUDIT_FAIL_CLOSED: 'true' };
    const keys = new KeyManager({ store: createMemoryKeyStore(), env, rotationDelayMs: 0 });
    await keys.generateKeyPair('alpha');
    const token = await signJwt(keys, 'alpha', { scope: 'read' });
    await expect(verifyJwt(keys, token)).resolves.toMatchObject({ keyId: 'alpha' });

    auditSinkFromEnv(env)!.close(); // the log can no longer be written
    await expect(verifyJwt(keys, token)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    // A forged token is still refused for what it is, not for the audit log.
    await expect(verifyJwt(keys, `${token.slice(0, -4)}AAAA`)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });
});
