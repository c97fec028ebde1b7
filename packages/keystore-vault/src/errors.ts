/**
 * Vault's failures, described and mapped to KeyStoreError codes. The one place that knows what a status code,
 * a Vault error text or a socket error code means.
 *
 * node-vault rejects with its ApiResponseError (HTTP status + body) or with axios's error, whose `config.data`
 * holds the request body: for a KV write that is the private key. So neither is ever kept: a failure is
 * copied into a plain VaultFailure (status, Vault's error texts, socket code) and a KeyStoreError's `cause` is a
 * fresh Error built from those texts only.
 */
import { KeyStoreError, type KeyStoreErrorCode } from '@phlow/keys-core';
import { DEADLINE_CODE } from '@phlow/keys-core/adapter';

export type VaultFailure =
  | {
      readonly kind: 'http';
      readonly status: number;
      /** Vault's `errors` array, whitespace collapsed. */
      readonly errors: readonly string[];
      /** The response body. KV v2 answers a read of a deleted version with 404 and the version's metadata. */
      readonly body: unknown;
    }
  | { readonly kind: 'network'; readonly code: string; readonly message: string };

/** What the store was doing, for messages: `read` `phlow/data/keys/my-agent` at `http://...`. */
export interface VaultAction {
  readonly action: string;
  readonly path: string;
  readonly address: string;
  readonly keyId?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Socket errors that happen before a request is sent: repeating the request cannot apply it twice. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const TIMEOUT = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/;

export function describeFailure(error: unknown): VaultFailure {
  const e = (error ?? {}) as {
    response?: { statusCode?: unknown; body?: unknown };
    code?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
  };
  if (typeof e.response?.statusCode === 'number') {
    const body = e.response.body;
    const raw = (body as { errors?: unknown } | undefined)?.errors;
    const errors = Array.isArray(raw) ? raw.map((x) => String(x).replace(/\s+/g, ' ').trim()) : [];
    return { kind: 'http', status: e.response.statusCode, errors, body };
  }
  const code =
    typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : 'ERR_UNKNOWN';
  // axios messages name the socket error and the address ("connect ECONNREFUSED 127.0.0.1:8200"), never the body.
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : String(error).slice(0, 200);
  return { kind: 'network', code, message };
}

const text = (f: VaultFailure) => (f.kind === 'http' ? f.errors.join('; ') : f.message).toLowerCase();

export const isSealed = (f: VaultFailure): boolean =>
  f.kind === 'http' && f.status === 503 && text(f).includes('sealed');
/** A 404 about the secret, not about the mount (Vault answers "no handler for route" when nothing is mounted). */
export const isNotFound = (f: VaultFailure): boolean =>
  f.kind === 'http' && f.status === 404 && !text(f).includes('no handler for route');
export const isCasMismatch = (f: VaultFailure): boolean =>
  f.kind === 'http' && f.status === 400 && text(f).includes('check-and-set parameter did not match');
/** Vault says "permission denied" both for a policy that forbids the call and for an expired or revoked token. */
export const isPermissionDenied = (f: VaultFailure): boolean =>
  f.kind === 'http' && (f.status === 403 || f.status === 401);

/** Safe to send again: the request did not reach Vault, or Vault refused it before doing anything. */
export function isRetryable(f: VaultFailure, idempotent: boolean): boolean {
  if (f.kind === 'network') {
    if (TLS.test(f.code)) return false;
    return idempotent ? f.code !== 'ENOTFOUND' : NOT_SENT.has(f.code);
  }
  if (f.status === 429 || f.status === 412) return true; // rate limit quota, stale standby: nothing was done
  if (isSealed(f)) return false; // stays sealed until an operator acts: fail fast with a clear message
  return idempotent && (f.status === 500 || f.status === 502 || f.status === 503 || f.status === 504);
}

/** A write that may or may not have been applied: the connection broke after sending, or a 5xx came back. */
export function isOutcomeUnknown(f: VaultFailure): boolean {
  if (f.kind === 'network') return !NOT_SENT.has(f.code) && !TLS.test(f.code);
  return !isSealed(f) && (f.status === 500 || f.status === 502 || f.status === 503 || f.status === 504);
}

export function toKeyStoreError(f: VaultFailure, at: VaultAction): KeyStoreError {
  const fail = (code: KeyStoreErrorCode, message: string) =>
    new KeyStoreError(code, message, { storeType: 'vault', keyId: at.keyId, cause: causeOf(f) });

  if (f.kind === 'network') {
    if (TLS.test(f.code)) {
      return fail(
        'INVALID_CONFIG',
        `TLS connection to Vault at ${at.address} failed (${f.code}): set VAULT_CACERT to the CA that signed its certificate, or check the address`,
      );
    }
    if (f.code === DEADLINE_CODE) {
      return fail(
        'UNAVAILABLE',
        `Vault at ${at.address} did not finish answering when asked to ${at.action} ${at.path} (${f.message}): check the server and the network, or raise PHLOW_VAULT_REQUEST_DEADLINE_SECONDS`,
      );
    }
    if (TIMEOUT.has(f.code)) {
      const limit = at.timeoutMs ? ` within ${at.timeoutMs} ms` : '';
      return fail(
        'UNAVAILABLE',
        `Vault at ${at.address} did not answer${limit} when asked to ${at.action} ${at.path}: check the server and the network, or raise VAULT_CLIENT_TIMEOUT`,
      );
    }
    return fail(
      'UNAVAILABLE',
      `cannot reach Vault at ${at.address} (${f.code}) to ${at.action} ${at.path}: check VAULT_URL / VAULT_ADDR and that the server is running`,
    );
  }

  const said = f.errors.length > 0 ? `: ${f.errors.join('; ').slice(0, 200)}` : '';
  if (isSealed(f)) {
    return fail(
      'UNAVAILABLE',
      `Vault at ${at.address} is sealed: unseal it (vault operator unseal) and retry`,
    );
  }
  if (isPermissionDenied(f)) {
    return fail(
      'ACCESS_DENIED',
      `the Vault token is not allowed to ${at.action} ${at.path}: check its policy (vault token capabilities ${at.path}), or whether the token expired or was revoked`,
    );
  }
  if (f.status === 404 && text(f).includes('no handler for route')) {
    const mount = at.path.split('/')[0] ?? '';
    return fail(
      'INVALID_CONFIG',
      `no secrets engine is mounted at "${mount}/" in Vault at ${at.address}: enable it (vault secrets enable -path=${mount} kv-v2) or set PHLOW_VAULT_MOUNT`,
    );
  }
  if (f.status === 404) return fail('NOT_FOUND', `${at.path} does not exist in Vault at ${at.address}`);
  if (f.status === 429) {
    return fail(
      'UNAVAILABLE',
      `Vault at ${at.address} is rate limiting requests (429) to ${at.path}: retry later or raise the quota`,
    );
  }
  if (f.status >= 500) {
    return fail(
      'UNAVAILABLE',
      `Vault at ${at.address} failed to ${at.action} ${at.path} (HTTP ${f.status}${said}): retry later`,
    );
  }
  if (text(f).includes('check-and-set parameter required')) {
    return fail(
      'UNSUPPORTED',
      `the mount requires check-and-set (cas_required) and this write to ${at.path} was unconditional: pass expectedVersion`,
    );
  }
  return fail(
    'INVALID_CONFIG',
    `Vault refused to ${at.action} ${at.path} (HTTP ${f.status}${said}): check the mount and path settings`,
  );
}

/** A debugging cause that holds only Vault's error texts or the socket error, never a request. */
function causeOf(f: VaultFailure): Error {
  return new Error(
    f.kind === 'http'
      ? `HTTP ${f.status}${f.errors.length ? `: ${f.errors.join('; ')}` : ''}`
      : `${f.code}: ${f.message}`,
  );
}
