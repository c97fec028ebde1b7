// The mapping of Vault's failures to KeyStoreError codes, and what may appear in an error. No server needed.
import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  isCasMismatch,
  isNotFound,
  isOutcomeUnknown,
  isRetryable,
  isSealed,
  toKeyStoreError,
  type VaultFailure,
} from '../src/errors.js';
import { backoffMs } from '../src/transport.js';

const at = {
  action: 'read',
  path: 'phlow/data/keys/a',
  address: 'http://vault:8200',
  keyId: 'a',
  timeoutMs: 500,
};
const http = (status: number, ...errors: string[]): VaultFailure => ({
  kind: 'http',
  status,
  errors,
  body: { errors },
});
const net = (code: string): VaultFailure => ({
  kind: 'network',
  code,
  message: `connect ${code} 127.0.0.1:8200`,
});

describe('toKeyStoreError', () => {
  it('403 is ACCESS_DENIED naming the operation, the path and the policy, never "not found"', () => {
    const e = toKeyStoreError(http(403, 'permission denied'), { ...at, action: 'write' });
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toBe(
      '[phlow] [vault] the Vault token is not allowed to write phlow/data/keys/a: check its policy (vault token capabilities phlow/data/keys/a), or whether the token expired or was revoked',
    );
    expect(e.keyId).toBe('a');
    expect(e.storeType).toBe('vault');
  });

  it('404 is NOT_FOUND, but a missing mount is INVALID_CONFIG saying how to enable it', () => {
    expect(toKeyStoreError(http(404), at).code).toBe('NOT_FOUND');
    const e = toKeyStoreError(
      http(404, "no handler for route 'phlow/data/keys/a'. route entry not found."),
      at,
    );
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('vault secrets enable -path=phlow kv-v2');
  });

  it('a sealed Vault is UNAVAILABLE saying sealed and how to unseal', () => {
    const e = toKeyStoreError(http(503, 'Vault is sealed'), at);
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('is sealed: unseal it (vault operator unseal)');
  });

  it('refused connections, resets and timeouts are UNAVAILABLE naming the address', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTFOUND']) {
      const e = toKeyStoreError(net(code), at);
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toContain('http://vault:8200');
    }
    expect(toKeyStoreError(net('ECONNABORTED'), at).message).toContain('within 500 ms');
  });

  it('429 and 5xx are UNAVAILABLE; TLS failures are INVALID_CONFIG pointing at VAULT_CACERT', () => {
    expect(toKeyStoreError(http(429), at).code).toBe('UNAVAILABLE');
    expect(toKeyStoreError(http(500, 'internal error'), at).code).toBe('UNAVAILABLE');
    const tls = toKeyStoreError(net('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), at);
    expect(tls.code).toBe('INVALID_CONFIG');
    expect(tls.message).toContain('VAULT_CACERT');
  });

  it('keeps only Vault texts as the cause, never the raw error (which may hold the request body)', () => {
    const secret =
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----';
    const axiosLike = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      config: { data: JSON.stringify({ data: { private_key: secret } }) },
      request: { body: secret },
    });
    const e = toKeyStoreError(describeFailure(axiosLike), { ...at, action: 'write' });
    const everything = `${e.message}${e.stack}${JSON.stringify(e)}${String((e.cause as Error).message)}${(e.cause as Error).stack}`;
    expect(everything).not.toContain('MC4CAQAw');
    expect(e.cause).not.toBe(axiosLike);
  });
});

describe('describeFailure and the retry rules', () => {
  it('reads node-vault response errors and axios network errors', () => {
    const apiError = Object.assign(new Error('permission denied'), {
      response: { statusCode: 403, body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] } },
    });
    expect(describeFailure(apiError)).toMatchObject({
      kind: 'http',
      status: 403,
      errors: ['1 error occurred: * permission denied'],
    });
    expect(describeFailure(Object.assign(new Error('x'), { cause: { code: 'ECONNREFUSED' } }))).toMatchObject(
      {
        kind: 'network',
        code: 'ECONNREFUSED',
      },
    );
  });

  it('classifies cas mismatches, sealed servers and 404s', () => {
    expect(isCasMismatch(http(400, 'check-and-set parameter did not match the current version'))).toBe(true);
    expect(isCasMismatch(http(400, 'no data provided'))).toBe(false);
    expect(isSealed(http(503, 'Vault is sealed'))).toBe(true);
    expect(isNotFound(http(404))).toBe(true);
    expect(isNotFound(http(404, 'no handler for route "x"'))).toBe(false);
  });

  it('retries reads after 429, 5xx and network errors, but not a sealed server or TLS failures', () => {
    for (const f of [
      http(429),
      http(500),
      http(502),
      http(503),
      http(504),
      net('ECONNRESET'),
      net('ECONNREFUSED'),
    ]) {
      expect(isRetryable(f, true)).toBe(true);
    }
    for (const f of [
      http(503, 'Vault is sealed'),
      http(403),
      http(404),
      http(400),
      net('CERT_HAS_EXPIRED'),
    ]) {
      expect(isRetryable(f, true)).toBe(false);
    }
  });

  it('repeats a write only when it cannot have been applied; otherwise its outcome is unknown', () => {
    expect(isRetryable(net('ECONNREFUSED'), false)).toBe(true);
    expect(isRetryable(http(429), false)).toBe(true);
    for (const f of [net('ECONNRESET'), net('ECONNABORTED'), http(500), http(502), http(504)]) {
      expect(isRetryable(f, false)).toBe(false);
      expect(isOutcomeUnknown(f)).toBe(true);
    }
    expect(isOutcomeUnknown(net('ECONNREFUSED'))).toBe(false);
    expect(isOutcomeUnknown(http(503, 'Vault is sealed'))).toBe(false);
  });

  it('backs off exponentially with full jitter, bounded', () => {
    expect(backoffMs(0, () => 1)).toBe(100);
    expect(backoffMs(3, () => 1)).toBe(800);
    expect(backoffMs(20, () => 1)).toBe(2000);
    expect(backoffMs(5, () => 0)).toBe(0);
  });
});
