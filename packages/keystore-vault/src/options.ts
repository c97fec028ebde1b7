/**
 * The options of the Vault key store, and how each one not given is read from the environment.
 *
 * Names follow the Vault CLI (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, ...) so an operator's existing shell
 * setup works as is, plus VAULT_URL, the name the Python Phlow used. Everything is resolved and checked here,
 * once, so that a wrong setting fails at start-up with the name of the variable to fix.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { type Env, KeyStoreError, type KeyStoreFactoryOptions } from '@phlow/keys-core';
import { durationSetting, intSetting } from '@phlow/keys-core/adapter';
import type { AuthConfig } from './auth.js';
import type { TransportConfig } from './transport.js';

export interface VaultKeyStoreOptions extends KeyStoreFactoryOptions {
  /** Vault server address. Default: `http://localhost:8200`. Env: `VAULT_URL` (the Python Phlow's name), then `VAULT_ADDR`. */
  readonly address?: string;
  /** Vault token. Env: `VAULT_TOKEN`. Used before AppRole and the token file when set. */
  readonly token?: string;
  /**
   * A file holding the token, read when neither a token nor AppRole is configured, and read again when Vault
   * refuses the token (a Vault Agent sink rewrites it). Default: `~/.vault-token` (what `vault login`
   * writes), if it exists. Env: `PHLOW_VAULT_TOKEN_FILE`.
   */
  readonly tokenFile?: string;
  /** AppRole role id; with `secretId`, the store logs in itself and logs in again when its token expires. Env: `VAULT_ROLE_ID`. */
  readonly roleId?: string;
  /** AppRole secret id. Env: `VAULT_SECRET_ID`. */
  readonly secretId?: string;
  /** Path the AppRole auth method is mounted at. Default: `approle`. Env: `PHLOW_VAULT_APPROLE_MOUNT`. */
  readonly appRoleMount?: string;
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace`. Default: none. Env: `VAULT_NAMESPACE`. */
  readonly namespace?: string;
  /** Path of a PEM file with the CA certificate(s) that signed Vault's certificate. Default: the system CAs. Env: `VAULT_CACERT`. */
  readonly caCert?: string;
  /** Path of a PEM client certificate for mutual TLS. Default: none. Env: `VAULT_CLIENT_CERT`. */
  readonly clientCert?: string;
  /** Path of the PEM private key of `clientCert`. Default: none. Env: `VAULT_CLIENT_KEY`. */
  readonly clientKey?: string;
  /** Accept any server certificate. For throw-away test servers only. Default: false. Env: `VAULT_SKIP_VERIFY`. */
  readonly tlsSkipVerify?: boolean;
  /** Time limit of one HTTP request. Default: 10000 ms. Env: `VAULT_CLIENT_TIMEOUT` (seconds or a duration such as `30s`, like the CLI). */
  readonly timeoutMs?: number;
  /**
   * Total time limit of one call to Vault, retries and their backoff included: a server that trickles its answer
   * never trips `timeoutMs` (an idle timeout), but fails this, UNAVAILABLE. Default: 30000 ms. Env:
   * `PHLOW_VAULT_REQUEST_DEADLINE_SECONDS` (seconds, or a duration such as `500ms`, `30s`, `2m`).
   */
  readonly requestDeadlineMs?: number;
  /** Retries of a read after a 429, a 5xx or a network error, with exponential backoff and jitter. Default: 3. Env: `VAULT_MAX_RETRIES`. */
  readonly maxRetries?: number;
  /** Mount path of the KV v2 secrets engine. Default: `phlow`. Env: `PHLOW_VAULT_MOUNT`. */
  readonly mount?: string;
  /** Path inside the mount under which key ids live. Default: `keys/`. Env: `PHLOW_VAULT_PREFIX`. */
  readonly prefix?: string;
  /**
   * How long a replaced key keeps verifying, as KeyManager's `rotationGracePeriodMs`: a rotation that would make
   * Vault destroy a version still in grace (max_versions) is refused. 0 turns the check off. Default: 86400000
   * (24 h). Env: `PHLOW_KEY_ROTATION_GRACE_SECONDS` (the variable KeyManager reads).
   */
  readonly rotationGracePeriodMs?: number;
  /** Receives warnings about the mount's settings (see README, "Versions Vault keeps"). Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

/** Everything the store needs, resolved and checked. */
export interface VaultConfig {
  readonly transport: TransportConfig;
  readonly auth: AuthConfig;
  readonly mount: string;
  readonly prefix: string;
  readonly rotationGracePeriodMs: number;
  readonly onWarning: (message: string) => void;
}

export const DEFAULT_ADDRESS = 'http://localhost:8200';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_DEADLINE_MS = 30_000;
const DEFAULT_GRACE_MS = 86_400_000;
const DEFAULT_MAX_RETRIES = 3;
const SAFE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

const invalid = (message: string) => new KeyStoreError('INVALID_CONFIG', message, { storeType: 'vault' });

/** Unset and empty values are both "not given". */
function pick(option: string | undefined, env: Env, ...names: string[]): { value?: string; from: string } {
  if (option !== undefined && option !== '') return { value: option, from: 'option' };
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { value, from: name };
  }
  return { from: names.join(' / ') || 'option' };
}

export function resolveVaultConfig(options: VaultKeyStoreOptions = {}): VaultConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromCwd = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));

  const address = pick(options.address, env, 'VAULT_URL', 'VAULT_ADDR').value ?? DEFAULT_ADDRESS;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalid(
      `Vault address ${JSON.stringify(address)} is not a URL: set VAULT_URL or VAULT_ADDR to e.g. https://vault.example.com:8200`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`Vault address ${JSON.stringify(address)} must start with http:// or https://`);
  }

  const readPem = (option: string | undefined, name: string): string | undefined => {
    const { value } = pick(option, env, name);
    if (value === undefined) return undefined;
    try {
      return readFileSync(fromCwd(value), 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      throw invalid(`cannot read ${name} file ${value} (${code}): set ${name} to the path of a PEM file`);
    }
  };
  const clientCert = readPem(options.clientCert, 'VAULT_CLIENT_CERT');
  const clientKey = readPem(options.clientKey, 'VAULT_CLIENT_KEY');
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw invalid(
      'mutual TLS needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY (or the clientCert and clientKey options)',
    );
  }

  const transport: TransportConfig = {
    address: address.replace(/\/+$/, ''),
    namespace: pick(options.namespace, env, 'VAULT_NAMESPACE').value,
    timeoutMs: durationSetting(options.timeoutMs, env, 'VAULT_CLIENT_TIMEOUT', DEFAULT_TIMEOUT_MS, {
      option: 'timeoutMs',
      storeType: 'vault',
    }),
    deadlineMs: durationSetting(
      options.requestDeadlineMs,
      env,
      'PHLOW_VAULT_REQUEST_DEADLINE_SECONDS',
      DEFAULT_DEADLINE_MS,
      { option: 'requestDeadlineMs', storeType: 'vault' },
    ),
    maxRetries: intSetting(options.maxRetries, env, 'VAULT_MAX_RETRIES', DEFAULT_MAX_RETRIES, {
      min: 0,
      max: 100,
      option: 'maxRetries',
      storeType: 'vault',
    }),
    tls: {
      ca: readPem(options.caCert, 'VAULT_CACERT'),
      cert: clientCert,
      key: clientKey,
      rejectUnauthorized: !(options.tlsSkipVerify ?? isTrue(env.VAULT_SKIP_VERIFY)),
    },
  };

  const mount = (pick(options.mount, env, 'PHLOW_VAULT_MOUNT').value ?? 'phlow').replace(/^\/+|\/+$/g, '');
  if (!SAFE_PATH.test(mount) || mount.split('/').includes('..')) {
    throw invalid(
      `Vault mount ${JSON.stringify(mount)} is not a plain path: set PHLOW_VAULT_MOUNT to e.g. "phlow"`,
    );
  }
  let prefix = (pick(options.prefix, env, 'PHLOW_VAULT_PREFIX').value ?? 'keys/').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && (!SAFE_PATH.test(prefix) || prefix.split('/').includes('..'))) {
    throw invalid(
      `Vault key prefix ${JSON.stringify(prefix)} is not a plain path: set PHLOW_VAULT_PREFIX to e.g. "keys/"`,
    );
  }
  if (prefix !== '') prefix += '/';

  return {
    transport,
    auth: resolveAuth(options, env, fromCwd),
    mount,
    prefix,
    rotationGracePeriodMs: graceMs(options.rotationGracePeriodMs, env.PHLOW_KEY_ROTATION_GRACE_SECONDS),
    onWarning: options.onWarning ?? ((message) => process.emitWarning(message, 'PhlowVaultWarning')),
  };
}

function resolveAuth(options: VaultKeyStoreOptions, env: Env, fromCwd: (p: string) => string): AuthConfig {
  const token = pick(options.token, env, 'VAULT_TOKEN').value;
  if (token !== undefined) return { kind: 'token', token };

  const roleId = pick(options.roleId, env, 'VAULT_ROLE_ID').value;
  const secretId = pick(options.secretId, env, 'VAULT_SECRET_ID').value;
  if (roleId !== undefined || secretId !== undefined) {
    if (roleId === undefined || secretId === undefined) {
      throw invalid(
        `AppRole login needs both VAULT_ROLE_ID and VAULT_SECRET_ID; only ${roleId ? 'VAULT_ROLE_ID' : 'VAULT_SECRET_ID'} is set`,
      );
    }
    const mount = (pick(options.appRoleMount, env, 'PHLOW_VAULT_APPROLE_MOUNT').value ?? 'approle').replace(
      /^\/+|\/+$/g,
      '',
    );
    if (!SAFE_PATH.test(mount)) throw invalid(`AppRole mount ${JSON.stringify(mount)} is not a plain path`);
    return { kind: 'approle', roleId, secretId, mount };
  }

  const file = pick(options.tokenFile, env, 'PHLOW_VAULT_TOKEN_FILE');
  const home = env.HOME || homedir();
  const path = file.value !== undefined ? fromCwd(file.value) : resolve(home, '.vault-token');
  let fileToken = '';
  try {
    fileToken = readFileSync(path, 'utf8').trim();
  } catch {
    if (file.value !== undefined)
      throw invalid(`cannot read the Vault token file ${path}: check PHLOW_VAULT_TOKEN_FILE`);
  }
  if (fileToken !== '') return { kind: 'file', path };

  throw invalid(
    'VAULT_TOKEN environment variable required for Vault key store. Alternatives: VAULT_ROLE_ID and VAULT_SECRET_ID ' +
      '(AppRole login), a token file (PHLOW_VAULT_TOKEN_FILE, or ~/.vault-token as written by `vault login`), ' +
      'or the token / roleId / secretId options',
  );
}

/** PHLOW_KEY_ROTATION_GRACE_SECONDS as KeyManager reads it: a non-negative number of seconds. */
function graceMs(option: number | undefined, value: string | undefined): number {
  if (option !== undefined) {
    if (!Number.isFinite(option) || option < 0)
      throw invalid('rotationGracePeriodMs must be a non-negative number of milliseconds');
    return option;
  }
  if (value === undefined || value.trim() === '') return DEFAULT_GRACE_MS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw invalid(
      `PHLOW_KEY_ROTATION_GRACE_SECONDS=${JSON.stringify(value)} is not a number of seconds (for example 86400)`,
    );
  return seconds * 1000;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
