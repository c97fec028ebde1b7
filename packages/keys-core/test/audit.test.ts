/**
 * Audit events through KeyManager and the JSON-lines sink PHLOW_KEY_AUDIT_LOG turns on: one event per key
 * access with the right fields, denied and failed attempts, nothing secret in the log, and a sink that
 * refuses unsafe files at start-up and never throws into a key operation.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditLine,
  auditSinkFromEnv,
  createJsonLinesAuditSink,
  createMemoryKeyStore,
  type KeyAuditEvent,
  KeyManager,
  type KeyManagerEvent,
  type KeyPair,
  type KeyStore,
  KeyStoreError,
  MAX_AUDIT_LINE_BYTES,
  newEd25519Pems,
  recordAuditEvent,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'phlow-audit-'));
afterAll(() => execFileSync('rm', ['-rf', dir]));
let n = 0;
const logPath = () => join(dir, `audit-${++n}.log`);

/** The log once the pending batch is written (the sink writes batches on a short timer). */
const readLog = async (path: string): Promise<KeyAuditEvent[]> => {
  auditSinkFromEnv({ PHLOW_KEY_AUDIT_LOG: path })?.flush();
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
};

/** The body of a PEM (its base64 lines), which must appear nowhere in a log. */
const pemBody = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');

/** Grace 0 and delay 0: a rotation switches signing at once, so `activated` shows on the next sign. */
const settings = { rotationGracePeriodMs: 0, rotationDelayMs: 0 } as const;

describe('audit events', () => {
  it('records every operation once, with its fields, in the PHLOW_KEY_AUDIT_LOG file, and nothing secret', async () => {
    const path = logPath();
    const km = new KeyManager({
      store: createMemoryKeyStore(),
      env: { PHLOW_KEY_AUDIT_LOG: path },
      caller: 'billing-service',
      ...settings,
    });
    const generated = await km.generateKeyPair('agent-a');
    const read = await km.getKeyPair('agent-a', { caller: 'ops-console' });
    const message = 'transfer 100 to bob, nonce 8f1e2d';
    const signature = await km.sign('agent-a', message);
    expect(await km.verify('agent-a', message, signature)).toBe(true);
    expect(await km.verify('agent-a', 'tampered', signature)).toBe(false);
    const rotated = await km.rotateKeyPair('agent-a');
    await km.sign('agent-a', message); // first signature with the new key: `activated`
    const emergency = await km.rotateKeyPair('agent-a', { now: true });
    const revoked = await km.rotateKeyPair('agent-a', { revokePrevious: true });
    const imported = newEd25519Pems();
    await km.storeKeyPair('agent-b', imported.privateKey, imported.publicKey);
    await km.refresh('agent-b');
    await km.getSigningKey('agent-b');
    await km.deleteKeyPair('agent-b');
    await km.deleteKeyPair('agent-a', { destroy: true });
    await expect(km.sign('agent-a', message)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const events = await readLog(path);
    expect(events.map((e) => [e.operation, e.rotation ?? e.outcome])).toEqual([
      ['generate', 'success'],
      ['read', 'success'],
      ['sign', 'success'],
      ['verify', 'success'],
      ['verify', 'success'],
      ['rotate', 'staged'],
      ['rotate', 'activated'],
      ['sign', 'success'],
      ['rotate', 'emergency'],
      ['revoke', 'emergency'],
      ['store', 'success'],
      ['read', 'success'],
      ['read', 'success'],
      ['delete', 'success'],
      ['destroy', 'success'],
      ['sign', 'failure'],
    ]);
    for (const e of events) {
      expect(e.storeType).toBe('memory');
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
      expect(e).not.toHaveProperty('type');
    }
    const [gen, rd, sgn, ok, bad, , act, , emg, rev] = events;
    expect(gen).toMatchObject({
      keyId: 'agent-a',
      kid: generated.kid,
      version: '1',
      caller: 'billing-service',
    });
    expect(rd).toMatchObject({ kid: read.kid, private: true, source: 'cache', caller: 'ops-console' });
    // One cache entry per id: signing reads the entry getKeyPair just read.
    expect(sgn).toMatchObject({ kid: generated.kid, source: 'cache' });
    expect(ok).toMatchObject({ source: 'cache' });
    expect(ok).toMatchObject({ valid: true, kid: generated.kid });
    expect(bad).toMatchObject({ valid: false, outcome: 'success' });
    expect(bad).not.toHaveProperty('kid');
    expect(events[5]).toMatchObject({ kid: rotated.kid });
    expect(act).toMatchObject({ kid: rotated.kid });
    expect(emg).toMatchObject({ kid: emergency.kid });
    expect(rev).toMatchObject({ kid: revoked.kid });
    expect(events[10]).toMatchObject({ keyId: 'agent-b', kid: expect.any(String) });
    expect(events[11]).toMatchObject({ source: 'store', private: true });
    expect(events[15]).toMatchObject({ errorCode: 'NOT_FOUND', outcome: 'failure' });
    expect(events.some((e) => 'messageSha256' in e)).toBe(false);

    const log = readFileSync(path, 'utf8');
    for (const pem of [
      generated.privateKey,
      // A store with exportable keys: the rotated pairs are full KeyPairs.
      (emergency.keyPair as KeyPair).privateKey,
      (revoked.keyPair as KeyPair).privateKey,
      imported.privateKey,
    ]) {
      expect(log).not.toContain(pemBody(pem));
    }
    expect(log).not.toContain('transfer 100');
    expect(log).not.toContain(Buffer.from(signature).toString('base64'));
    expect(log).not.toContain(Buffer.from(signature).toString('hex'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('records refused credentials as denied and other failures with their code; a PEM passed as an id is not recorded', async () => {
    const events: KeyManagerEvent[] = [];
    const refusing: KeyStore = {
      ...createMemoryKeyStore(),
      type: 'vault',
      getKeyVersions: async (id) => {
        throw new KeyStoreError('ACCESS_DENIED', 'permission denied', { storeType: 'vault', keyId: id });
      },
    };
    const km = new KeyManager({ store: refusing, env: {}, onEvent: (e) => events.push(e) });
    await expect(km.sign('agent-a', 'm')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    const { privateKey } = newEd25519Pems();
    await expect(km.getKeyPair(privateKey)).rejects.toMatchObject({ code: 'INVALID_KEY_ID' });
    const audits = events.filter((e): e is KeyAuditEvent => e.type === 'audit');
    expect(audits.map((e) => [e.operation, e.outcome, e.errorCode, e.keyId])).toEqual([
      ['sign', 'denied', 'ACCESS_DENIED', 'agent-a'],
      ['read', 'failure', 'INVALID_KEY_ID', undefined],
    ]);
    expect(JSON.stringify(audits)).not.toContain(pemBody(privateKey));
  });

  it('records a scheduled rotation only when it rotates, and a refused one as a failure', async () => {
    const events: KeyAuditEvent[] = [];
    const km = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      ...settings,
      onEvent: (e) => e.type === 'audit' && events.push(e),
    });
    await km.generateKeyPair('a');
    expect((await km.rotateIfOlderThan('a', 3_600_000)).rotated).toBe(false);
    const due = await km.rotateIfOlderThan('a', 0, { caller: 'cron' });
    await expect(km.rotateIfOlderThan('a', 0, { revokePrevious: true })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    expect(events.map((e) => [e.operation, e.rotation ?? e.outcome, e.caller])).toEqual([
      ['generate', 'success', undefined],
      ['rotate', 'staged', 'cron'],
      ['rotate', 'failure', undefined],
    ]);
    expect(due.rotated && events[1]?.kid === due.kid).toBe(true);
  });

  it('records a message hash only by opt-in, and bounds the caller identity', async () => {
    const events: KeyAuditEvent[] = [];
    const km = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      auditMessageHash: true,
      caller: `svc\n${'x'.repeat(1000)}`,
      onEvent: (e) => e.type === 'audit' && events.push(e),
    });
    await km.generateKeyPair('a');
    await km.sign('a', 'hello');
    expect(events[1]?.messageSha256).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(events[1]?.caller).toBe(`svc${'x'.repeat(197)}`);
  });

  it('emits nothing without a hook or PHLOW_KEY_AUDIT_LOG (the hot path skips auditing)', async () => {
    const km = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    const calls: unknown[] = [];
    const spy = new KeyManager({ store: km.store, env: {}, onEvent: (e) => calls.push(e) });
    await km.generateKeyPair('a');
    await km.sign('a', 'm');
    expect(calls).toEqual([]);
    await spy.sign('a', 'm');
    expect(calls).toHaveLength(1);
  });

  it('recordAudit: an access made outside KeyManager, with its common fields and only the fields it fills in', () => {
    const events: KeyManagerEvent[] = [];
    const km = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      caller: 'gateway',
      auditMessageHash: true,
      onEvent: (e) => events.push(e),
    });
    expect(km.auditing).toBe(true);
    const started = performance.now();
    const sneaky = {
      outcome: 'success',
      valid: true,
      kid: 'k1',
      keyId: 'forged',
      caller: 'someone-else',
      storeType: 'other',
      privateKey: 'SECRET',
    } as unknown as Parameters<KeyManager['recordAudit']>[3];
    km.recordAudit('verify', 'a', started, sneaky, { message: 'hello' });
    const pem = newEd25519Pems().privateKey;
    km.recordAudit('verify', pem, started, { outcome: 'success', valid: false, errorCode: 'EXPIRED' });
    expect(events).toEqual([
      {
        type: 'audit',
        time: expect.any(String),
        operation: 'verify',
        outcome: 'success',
        storeType: 'memory',
        keyId: 'a',
        caller: 'gateway',
        durationMs: expect.any(Number),
        valid: true,
        kid: 'k1',
        messageSha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      },
      expect.objectContaining({ valid: false, errorCode: 'EXPIRED', keyId: undefined }),
    ]);
    expect(JSON.stringify(events)).not.toContain('SECRET');
    expect(JSON.stringify(events)).not.toContain(pemBody(pem).slice(0, 40));

    const quiet = new KeyManager({ store: createMemoryKeyStore(), env: {} });
    expect(quiet.auditing).toBe(false);
    expect(() => quiet.recordAudit('verify', 'a', started, { outcome: 'success' })).not.toThrow();
  });
});

describe('recordAuditEvent: work done outside a KeyManager (the CLI)', () => {
  it('applies the caller and id rules of KeyManager, takes PHLOW_KEY_AUDIT_CALLER, and never throws', async () => {
    const path = logPath();
    const env = { PHLOW_KEY_AUDIT_LOG: path, PHLOW_KEY_AUDIT_CALLER: 'ops\u0007-bot' };
    const started = performance.now();
    recordAuditEvent(env, 'migrate', started, {
      storeType: 'memory',
      targetStoreType: 'vault',
      keyId: 'agent-a',
      tool: 'phlow-keys',
    });
    recordAuditEvent(env, 'rekey', started, { storeType: 'memory', keyId: '../x', caller: 'x'.repeat(500) });
    recordAuditEvent({ PHLOW_KEY_AUDIT_LOG: join(dir, 'missing', 'audit.log') }, 'rekey', started, {
      storeType: 'memory',
    });
    const [migrate, rekey] = await readLog(path);
    expect(migrate).toMatchObject({
      operation: 'migrate',
      outcome: 'success',
      keyId: 'agent-a',
      caller: 'ops-bot',
      tool: 'phlow-keys',
      targetStoreType: 'vault',
    });
    expect(rekey).not.toHaveProperty('keyId');
    expect(rekey?.caller).toHaveLength(200);
  });
});

describe('JSON-lines sink', () => {
  const event: KeyAuditEvent = {
    type: 'audit',
    time: new Date(0).toISOString(),
    operation: 'sign',
    outcome: 'success',
    storeType: 'memory',
    keyId: 'a',
    durationMs: 1,
  };

  it('appends to an existing 0600 file and refuses links, FIFOs, shared files and other modes at start-up', () => {
    const existing = logPath();
    writeFileSync(existing, 'earlier\n', { mode: 0o600 });
    const appending = createJsonLinesAuditSink(existing);
    appending(event);
    appending.close();
    expect(readFileSync(existing, 'utf8').split('\n')[0]).toBe('earlier');

    const link = join(dir, 'link.log');
    symlinkSync(existing, link);
    expect(() => createJsonLinesAuditSink(link)).toThrow(/symbolic link/);

    const fifo = join(dir, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    expect(() => createJsonLinesAuditSink(fifo)).toThrow(/not a regular file/);

    const shared = logPath();
    writeFileSync(shared, '');
    chmodSync(shared, 0o644);
    expect(() => createJsonLinesAuditSink(shared)).toThrow(/mode is 0644/);

    expect(
      () => new KeyManager({ store: createMemoryKeyStore(), env: { PHLOW_KEY_AUDIT_LOG: link } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('never throws into a key operation when a write fails, and counts the dropped lines', async () => {
    const path = logPath();
    const sink = createJsonLinesAuditSink(path);
    sink.close();
    const km = new KeyManager({
      store: createMemoryKeyStore(),
      env: {},
      onEvent: (e) => e.type === 'audit' && sink(e),
    });
    await km.generateKeyPair('a');
    await expect(km.sign('a', 'm')).resolves.toBeInstanceOf(Uint8Array);
    sink.flush();
    expect(sink.dropped()).toBe(2);
  });

  it('writes what JSON.stringify would for every field value, whichever fields are present', () => {
    const full: KeyAuditEvent = {
      type: 'audit',
      time: '2026-11-30T08:00:00.000Z',
      operation: 'verify',
      outcome: 'success',
      storeType: 'vault',
      keyId: 'a',
      kid: 'k',
      version: 'v"1\u0000',
      errorCode: 'EXPIRED',
      durationMs: 1.25,
      source: 'cache',
      caller: 'svc \ud83d\ude00 \udc00',
      private: false,
      valid: false,
      rotation: 'staged',
      messageSha256: 'ab',
      tool: 'phlow-keys',
      targetStoreType: 'aws',
    };
    const known = (e: KeyAuditEvent) => {
      const { type: _type, ...fields } = e;
      return JSON.parse(JSON.stringify(fields));
    };
    for (const durationMs of [0, -0, 1e21, 0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = { ...full, durationMs };
      expect(JSON.parse(auditLine(e))).toEqual(known(e));
    }
    // Any field may be missing, the first one too: still one JSON object a line.
    for (const name of Object.keys(full) as (keyof KeyAuditEvent)[]) {
      const e = { ...full, [name]: undefined } as KeyAuditEvent;
      const line = auditLine(e);
      expect(line.endsWith('}\n')).toBe(true);
      expect(JSON.parse(line)).toEqual(known(e));
    }
    expect(auditLine({ type: 'audit' } as KeyAuditEvent)).toBe('{}\n');
  });

  it('writes only the event fields, and bounds a line', () => {
    const extra = { ...event, privateKey: 'SECRET', caller: 'c' } as KeyAuditEvent;
    expect(auditLine(extra)).not.toContain('SECRET');
    for (const caller of ['a"b\\c', 'tab\there', 'line\u2028sep é', 'lone \ud800 surrogate', '{"x":1}']) {
      const line = auditLine({ ...event, caller });
      expect(line.endsWith('}\n') && line.indexOf('\n') === line.length - 1).toBe(true);
      expect(JSON.parse(line).caller).toBe(caller);
    }
    const huge = { ...event, storeType: 'x'.repeat(10_000) } as KeyAuditEvent;
    const line = auditLine(huge);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
    expect(JSON.parse(line)).toMatchObject({ operation: 'sign', truncated: true });
  });
});
