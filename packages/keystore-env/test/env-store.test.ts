import { KeyManager, newEd25519Pems } from '@phlow/keys-core';
import { describe, expect, it, vi } from 'vitest';
import { createEnvKeyStore, decodePem } from '../src/index.js';

const quiet = { onWarning: () => {} };
const pems = newEd25519Pems();

describe('environment store: variable names', () => {
  it('reads PHLOW_PRIVATE_KEY_<id> with the id exactly as given (the Python form)', async () => {
    const store = createEnvKeyStore({
      ...quiet,
      env: { 'PHLOW_PRIVATE_KEY_my-agent': pems.privateKey, 'PHLOW_PUBLIC_KEY_my-agent': pems.publicKey },
    });
    expect(await store.getPrivateKey('my-agent')).toBe(pems.privateKey);
    expect(await store.getPublicKey('my-agent')).toBe(pems.publicKey);
  });

  it('falls back to the upper-snake form a shell can export', async () => {
    const store = createEnvKeyStore({
      ...quiet,
      env: { PHLOW_PRIVATE_KEY_MY_AGENT_V2: pems.privateKey, PHLOW_PUBLIC_KEY_MY_AGENT_V2: pems.publicKey },
    });
    const km = new KeyManager({ store, env: {} });
    const pair = await km.getKeyPair('my-agent.v2');
    expect(pair.publicKey).toBe(pems.publicKey);
    expect(await km.verify('my-agent.v2', 'x', await km.sign('my-agent.v2', 'x'))).toBe(true);
  });

  it('prefers the exact form over the upper-snake one', async () => {
    const other = newEd25519Pems();
    const store = createEnvKeyStore({
      ...quiet,
      env: { PHLOW_PUBLIC_KEY_agent: pems.publicKey, PHLOW_PUBLIC_KEY_AGENT: other.publicKey },
    });
    expect(await store.getPublicKey('agent')).toBe(pems.publicKey);
  });

  it('lists the ids of PHLOW_PRIVATE_KEY_* variables', async () => {
    const store = createEnvKeyStore({
      ...quiet,
      env: {
        PHLOW_PRIVATE_KEY_b: 'x',
        PHLOW_PRIVATE_KEY_a: 'y',
        PHLOW_PUBLIC_KEY_c: 'z',
        PHLOW_PRIVATE_KEY_empty: '',
      },
    });
    expect(await store.listKeyIds!()).toEqual(['a', 'b']);
  });

  it('reports a half-set pair clearly', async () => {
    const store = createEnvKeyStore({ ...quiet, env: { PHLOW_PRIVATE_KEY_half: pems.privateKey } });
    await expect(store.getKeyPair!('half')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.getKeyPair!('half')).rejects.toThrow(/PHLOW_PUBLIC_KEY_half/);
  });
});

describe('environment store: value forms', () => {
  const oneLine = pems.privateKey.trim().replace(/\n/g, '\\n');
  const b64Pem = Buffer.from(pems.privateKey).toString('base64');
  const derB64 = pems.privateKey
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');

  it.each([
    ['real newlines', pems.privateKey],
    ['\\n escapes on one line', oneLine],
    ['base64 of the PEM text', b64Pem],
    ['base64 of the DER bytes', derB64],
    ['CRLF line ends and surrounding space', `  ${pems.privateKey.replace(/\n/g, '\r\n')}  `],
  ])('accepts %s', (_label, value) => {
    expect(decodePem(value, 'PRIVATE KEY')).toBe(pems.privateKey);
  });

  it('rejects a value that is no key, without echoing it', async () => {
    const store = createEnvKeyStore({ ...quiet, env: { PHLOW_PRIVATE_KEY_bad: 'hunter2 not a key!' } });
    const error = await store.getPrivateKey('bad').catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'INVALID_KEY' });
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('environment store: development only', () => {
  it('refuses NODE_ENV=production unless explicitly allowed', () => {
    expect(() => createEnvKeyStore({ ...quiet, env: { NODE_ENV: 'production' } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION'),
      }),
    );
    expect(() =>
      createEnvKeyStore({
        ...quiet,
        env: { NODE_ENV: 'production', PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION: 'true' },
      }),
    ).not.toThrow();
  });

  it('warns once per process, not once per store', async () => {
    vi.resetModules();
    const fresh = await import('../src/env-store.js');
    const warnings: string[] = [];
    fresh.createEnvKeyStore({ env: {}, onWarning: (m) => warnings.push(m) });
    fresh.createEnvKeyStore({ env: {}, onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/development/);
  });

  it('refuses writes with UNSUPPORTED naming writable stores, also through KeyManager', async () => {
    const store = createEnvKeyStore({ ...quiet, env: {} });
    await expect(store.storeKeyPair('a', pems.privateKey, pems.publicKey)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    const km = new KeyManager({ store, env: {} });
    await expect(km.generateKeyPair('a')).rejects.toThrow(/encrypted_file, vault or aws/);
    await expect(km.rotateKeyPair('a')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('environment store: what the variables hold is checked on read', () => {
  const other = newEd25519Pems();
  const body = (pem: string) => pem.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'));

  it('refuses a private key in PHLOW_PUBLIC_KEY_<id>, naming the variable and never printing the value', async () => {
    const store = createEnvKeyStore({
      ...quiet,
      env: { PHLOW_PRIVATE_KEY_AGENT: pems.privateKey, PHLOW_PUBLIC_KEY_AGENT: pems.privateKey },
    });
    for (const read of [
      () => store.getPublicKey('agent'),
      () => store.getKeyPair!('agent'),
      () => new KeyManager({ store, env: {} }).getKeyPair('agent'),
    ]) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toMatchObject({ code: 'INVALID_KEY', storeType: 'environment', keyId: 'agent' });
      expect(error!.message).toContain('PHLOW_PUBLIC_KEY_AGENT');
      for (const line of body(pems.privateKey))
        expect(`${error!.message}${error!.stack}`).not.toContain(line);
    }
  });

  it('refuses base64 of a private DER in the public variable (it would be wrapped as a PUBLIC KEY)', async () => {
    const der = body(pems.privateKey).join('') || pems.privateKey.split('\n')[1]!;
    const store = createEnvKeyStore({ ...quiet, env: { PHLOW_PUBLIC_KEY_a: der } });
    await expect(store.getPublicKey('a')).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('refuses a mismatched pair (private of one pair, public of another) on every read', async () => {
    const store = createEnvKeyStore({
      ...quiet,
      env: { 'PHLOW_PRIVATE_KEY_my-agent': pems.privateKey, PHLOW_PUBLIC_KEY_MY_AGENT: other.publicKey },
    });
    for (const read of [
      () => store.getKeyPair!('my-agent'),
      () => store.getPrivateKey('my-agent'),
      () => store.getPublicKey('my-agent'),
    ]) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toMatchObject({ code: 'INVALID_KEY', keyId: 'my-agent' });
      expect(error!.message).toContain('PHLOW_PRIVATE_KEY_my-agent and PHLOW_PUBLIC_KEY_MY_AGENT');
    }
    await expect(new KeyManager({ store, env: {} }).sign('my-agent', 'x')).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
  });
});

describe('environment store: printed results', () => {
  it('getKeyPair results print no private key (JSON.stringify, util.inspect, String)', async () => {
    const { inspect } = await import('node:util');
    const store = createEnvKeyStore({
      ...quiet,
      env: { PHLOW_PRIVATE_KEY_a: pems.privateKey, PHLOW_PUBLIC_KEY_a: pems.publicKey },
    });
    const pair = await store.getKeyPair!('a');
    const printed = `${JSON.stringify(pair)} ${inspect(pair)} ${String(pair)}`;
    for (const line of pems.privateKey.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----')))
      expect(printed).not.toContain(line);
    expect(pair?.privateKey).toBe(pems.privateKey);
  });
});

describe('environment store: as a statically imported provider (bundled applications)', () => {
  it('createKeyStoreFromEnv finds it by type and by the alias env, with nothing to load', async () => {
    const { createKeyStoreFromEnv } = await import('@phlow/keys-core');
    const provider = (await import('../src/index.js')).default;
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const cwd = mkdtempSync(join(tmpdir(), 'phlow-env-bundle-')); // nothing installed here
    for (const type of [undefined, 'env', 'environment']) {
      const store = await createKeyStoreFromEnv(
        { ...(type ? { PHLOW_KEY_STORE_TYPE: type } : {}), PHLOW_ALLOW_ENV_KEYS_IN_PRODUCTION: 'false' },
        { cwd, providers: [provider] },
      );
      expect(store.type).toBe('environment');
    }
  });
});
