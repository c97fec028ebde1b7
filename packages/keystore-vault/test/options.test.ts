// How options and environment variables become the store's configuration. No server needed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKeyStoreError } from '@phlow/keys-core';
import { describe, expect, it } from 'vitest';
import { resolveVaultConfig } from '../src/options.js';

const home = mkdtempSync(join(tmpdir(), 'phlow-vault-home-')); // no ~/.vault-token in it

function configError(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    expect(isKeyStoreError(error, 'INVALID_CONFIG')).toBe(true);
    return error as Error;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('resolveVaultConfig', () => {
  it('uses the Python Phlow defaults: localhost:8200, mount phlow, prefix keys/', () => {
    const c = resolveVaultConfig({ env: { VAULT_TOKEN: 't', HOME: home } });
    expect(c.transport.address).toBe('http://localhost:8200');
    expect(c.mount).toBe('phlow');
    expect(c.prefix).toBe('keys/');
    expect(c.auth).toEqual({ kind: 'token', token: 't' });
    expect(c.transport.maxRetries).toBe(3);
    expect(c.transport.timeoutMs).toBe(10_000);
    expect(c.transport.deadlineMs).toBe(30_000);
    expect(c.rotationGracePeriodMs).toBe(86_400_000);
    expect(c.transport.tls.rejectUnauthorized).toBe(true);
  });

  it('reads the deadline and the grace period from the environment, and refuses nonsense naming the variable', () => {
    const env = { VAULT_TOKEN: 't', HOME: home };
    const c = resolveVaultConfig({
      env: { ...env, PHLOW_VAULT_REQUEST_DEADLINE_SECONDS: '45', PHLOW_KEY_ROTATION_GRACE_SECONDS: '60' },
    });
    expect(c.transport.deadlineMs).toBe(45_000);
    expect(c.rotationGracePeriodMs).toBe(60_000);
    expect(
      resolveVaultConfig({ env: { ...env, PHLOW_VAULT_REQUEST_DEADLINE_SECONDS: '500ms' } }).transport
        .deadlineMs,
    ).toBe(500);
    for (const bad of ['0', 'soon', '-1']) {
      expect(
        configError(() => resolveVaultConfig({ env: { ...env, PHLOW_VAULT_REQUEST_DEADLINE_SECONDS: bad } }))
          .message,
      ).toContain('PHLOW_VAULT_REQUEST_DEADLINE_SECONDS');
    }
    expect(
      configError(() => resolveVaultConfig({ env: { ...env, PHLOW_KEY_ROTATION_GRACE_SECONDS: 'a day' } }))
        .message,
    ).toContain('PHLOW_KEY_ROTATION_GRACE_SECONDS');
  });

  it('reads VAULT_URL before VAULT_ADDR, and options before both', () => {
    const env = { VAULT_TOKEN: 't', VAULT_URL: 'https://url:1/', VAULT_ADDR: 'https://addr:2', HOME: home };
    expect(resolveVaultConfig({ env }).transport.address).toBe('https://url:1');
    expect(resolveVaultConfig({ env: { ...env, VAULT_URL: '' } }).transport.address).toBe('https://addr:2');
    expect(resolveVaultConfig({ env, address: 'http://opt:3' }).transport.address).toBe('http://opt:3');
  });

  it('reads mount, prefix, namespace, timeout and retries from the environment', () => {
    const c = resolveVaultConfig({
      env: {
        VAULT_TOKEN: 't',
        PHLOW_VAULT_MOUNT: '/secret/',
        PHLOW_VAULT_PREFIX: 'agents/prod',
        VAULT_NAMESPACE: 'team-a',
        VAULT_CLIENT_TIMEOUT: '30s',
        VAULT_MAX_RETRIES: '0',
        VAULT_SKIP_VERIFY: 'true',
      },
    });
    expect(c.mount).toBe('secret');
    expect(c.prefix).toBe('agents/prod/');
    expect(c.transport.namespace).toBe('team-a');
    expect(c.transport.timeoutMs).toBe(30_000);
    expect(c.transport.maxRetries).toBe(0);
    expect(c.transport.tls.rejectUnauthorized).toBe(false);
    expect(
      resolveVaultConfig({ env: { VAULT_TOKEN: 't', VAULT_CLIENT_TIMEOUT: '5' } }).transport.timeoutMs,
    ).toBe(5000);
    expect(resolveVaultConfig({ env: { VAULT_TOKEN: 't', PHLOW_VAULT_PREFIX: '' } }).prefix).toBe('keys/');
    expect(resolveVaultConfig({ env: { VAULT_TOKEN: 't' }, prefix: '/' }).prefix).toBe('');
  });

  it('without a token, AppRole or token file: INVALID_CONFIG with the original message and the alternatives', () => {
    const error = configError(() => resolveVaultConfig({ env: { HOME: home } }));
    expect(error.message).toContain(
      '[phlow] [vault] VAULT_TOKEN environment variable required for Vault key store',
    );
    expect(error.message).toContain('VAULT_ROLE_ID');
    expect(error.message).toContain('.vault-token');
  });

  it('prefers a token, then AppRole, then the token file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-vault-token-'));
    writeFileSync(join(dir, '.vault-token'), 'from-file\n');
    const env = { HOME: dir, VAULT_ROLE_ID: 'r', VAULT_SECRET_ID: 's' };
    expect(resolveVaultConfig({ env: { ...env, VAULT_TOKEN: 'tok' } }).auth.kind).toBe('token');
    expect(resolveVaultConfig({ env }).auth).toEqual({
      kind: 'approle',
      roleId: 'r',
      secretId: 's',
      mount: 'approle',
    });
    expect(resolveVaultConfig({ env: { HOME: dir } }).auth).toEqual({
      kind: 'file',
      path: join(dir, '.vault-token'),
    });
    writeFileSync(join(dir, 'other'), 'x');
    expect(
      resolveVaultConfig({ env: { HOME: home, PHLOW_VAULT_TOKEN_FILE: 'other' }, cwd: dir }).auth,
    ).toEqual({
      kind: 'file',
      path: join(dir, 'other'),
    });
  });

  it('names what is wrong: half an AppRole, a missing token file, a bad address, mount or timeout', () => {
    expect(
      configError(() => resolveVaultConfig({ env: { VAULT_ROLE_ID: 'r', HOME: home } })).message,
    ).toContain('VAULT_SECRET_ID');
    expect(
      configError(() => resolveVaultConfig({ env: { PHLOW_VAULT_TOKEN_FILE: '/nonexistent/t', HOME: home } }))
        .message,
    ).toContain('PHLOW_VAULT_TOKEN_FILE');
    expect(
      configError(() => resolveVaultConfig({ env: { VAULT_TOKEN: 't', VAULT_ADDR: 'vault:8200' } })).message,
    ).toMatch(/http:\/\/ or https:\/\//);
    expect(
      configError(() => resolveVaultConfig({ env: { VAULT_TOKEN: 't', PHLOW_VAULT_MOUNT: 'a/../b' } }))
        .message,
    ).toContain('PHLOW_VAULT_MOUNT');
    expect(
      configError(() => resolveVaultConfig({ env: { VAULT_TOKEN: 't', VAULT_CLIENT_TIMEOUT: 'soon' } }))
        .message,
    ).toContain('VAULT_CLIENT_TIMEOUT');
    expect(
      configError(() =>
        resolveVaultConfig({ env: { VAULT_TOKEN: 't', VAULT_CACERT: '/nonexistent/ca.pem' } }),
      ).message,
    ).toContain('VAULT_CACERT');
    expect(
      configError(() =>
        resolveVaultConfig({ env: { VAULT_TOKEN: 't' }, clientCert: fileURLToPath(import.meta.url) }),
      ).message,
    ).toContain('VAULT_CLIENT_KEY');
  });

  it('reads CA and client certificate files at creation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-vault-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const c = resolveVaultConfig({
      env: {
        VAULT_TOKEN: 't',
        VAULT_CACERT: 'ca.pem',
        VAULT_CLIENT_CERT: 'c.pem',
        VAULT_CLIENT_KEY: 'k.pem',
      },
      cwd: dir,
    });
    expect(c.transport.tls).toMatchObject({ ca: 'CA', cert: 'CERT', key: 'KEY' });
  });
});
