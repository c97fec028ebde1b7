/**
 * Where the store's Vault token comes from, and keeping it valid.
 *
 * Three sources: a given token (VAULT_TOKEN), a token file (read again when Vault refuses the token, because a
 * Vault Agent sink rewrites it) and AppRole login. Tokens expire in production, so a token whose TTL is known
 * (an AppRole login's, or a given token's once checkConnection looked it up) is renewed with renew-self after
 * two thirds of its TTL. Renewal is lazy, done by the next request, so that no timer keeps a process alive or
 * outlives the store. When renewal fails or can no longer extend the token, AppRole logs in again; when Vault
 * refuses a request, AppRole asks whether its token is still alive (lookup-self) and logs in again if not,
 * so a policy denial does not cause a login per request.
 */
import { readFile } from 'node:fs/promises';
import { KeyStoreError } from '@phlow/keys-core';
import { toKeyStoreError } from './errors.js';
import type { VaultTransport } from './transport.js';

export type AuthConfig =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'approle'; readonly roleId: string; readonly secretId: string; readonly mount: string };

export interface TokenSource {
  readonly kind: AuthConfig['kind'];
  /** The token to send now; logs in, reads the file or renews first when needed. */
  token(): Promise<string>;
  /** Vault refused `rejected`. Resolves true when another token is now in use and the call is worth repeating. */
  recover(rejected: string): Promise<boolean>;
  /** Records a token's remaining TTL (from lookup-self), so that a given token is renewed before it expires. */
  learn(token: string, ttlSeconds: number, renewable: boolean): void;
  /** Revokes a token this source obtained by logging in (AppRole) and forgets it. A given token is left alone. */
  release(): Promise<void>;
}

interface Lease {
  readonly token: string;
  /** Epoch ms; undefined when the token does not expire or its TTL is unknown. */
  readonly expiresAt?: number | undefined;
  /** Epoch ms after which the next request renews (or replaces) the token first. */
  readonly renewAt?: number | undefined;
  readonly renewable: boolean;
}

function leaseOf(token: string, ttlSeconds: number, renewable: boolean, now = Date.now()): Lease {
  if (!(ttlSeconds > 0)) return { token, renewable: false };
  return { token, renewable, expiresAt: now + ttlSeconds * 1000, renewAt: now + (ttlSeconds * 1000 * 2) / 3 };
}

/** The `auth` block of a login or renew-self answer. */
function authOf(body: unknown): { token: string; ttl: number; renewable: boolean } | undefined {
  const auth = (
    body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | null
  )?.auth;
  if (!auth || typeof auth.client_token !== 'string' || auth.client_token === '') return undefined;
  return {
    token: auth.client_token,
    ttl: Number(auth.lease_duration) || 0,
    renewable: auth.renewable === true,
  };
}

export function createTokenSource(config: AuthConfig, transport: VaultTransport): TokenSource {
  const { address, timeoutMs } = transport.config;
  let current: Lease | undefined;
  let pending: Promise<Lease> | undefined;

  // Concurrent requests share one login / renewal.
  const once = (work: () => Promise<Lease>): Promise<Lease> => {
    pending ??= work()
      .then((next) => {
        current = next;
        return next;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  async function readTokenFile(path: string): Promise<Lease> {
    let token = '';
    try {
      token = (await readFile(path, 'utf8')).trim();
    } catch {
      // reported below
    }
    if (token === '') {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        `cannot read a Vault token from ${path}: log in again (vault login) or check PHLOW_VAULT_TOKEN_FILE`,
        {
          storeType: 'vault',
        },
      );
    }
    return { token, renewable: false };
  }

  async function login(): Promise<Lease> {
    if (config.kind !== 'approle') throw new Error('login without AppRole'); // unreachable
    const path = `auth/${config.mount}/login`;
    const out = await transport.send(
      {
        method: 'POST',
        path,
        body: { role_id: config.roleId, secret_id: config.secretId },
        idempotent: true,
      },
      undefined,
    );
    if (!out.ok) {
      const f = out.failure;
      if (f.kind === 'http' && f.status >= 400 && f.status < 404) {
        throw new KeyStoreError(
          'ACCESS_DENIED',
          `AppRole login at ${path} was refused (${f.errors.join('; ') || `HTTP ${f.status}`}): check VAULT_ROLE_ID and VAULT_SECRET_ID (a secret id can expire or run out of uses)`,
          { storeType: 'vault' },
        );
      }
      throw toKeyStoreError(f, { action: 'log in at', path, address, timeoutMs });
    }
    const auth = authOf(out.body);
    if (!auth) {
      throw new KeyStoreError(
        'ACCESS_DENIED',
        `AppRole login at ${path} returned no token: check the role's token settings`,
        {
          storeType: 'vault',
        },
      );
    }
    return leaseOf(auth.token, auth.ttl, auth.renewable);
  }

  const obtain = (): Promise<Lease> => {
    if (config.kind === 'token') return Promise.resolve({ token: config.token, renewable: false });
    if (config.kind === 'file') return readTokenFile(config.path);
    return login();
  };

  async function renewOrReplace(old: Lease): Promise<Lease> {
    if (old.renewable) {
      const out = await transport.send(
        { method: 'POST', path: 'auth/token/renew-self', body: {}, idempotent: true },
        old.token,
      );
      const auth = out.ok ? authOf(out.body) : undefined;
      const next = auth ? leaseOf(auth.token, auth.ttl, auth.renewable) : undefined;
      // A renewal capped by the token's max TTL no longer extends it: replace the token instead.
      if (next?.expiresAt && next.expiresAt > (old.expiresAt ?? 0) + 1000) return next;
    }
    if (config.kind === 'approle') {
      try {
        return await login();
      } catch (error) {
        const now = Date.now();
        if (old.expiresAt === undefined || now >= old.expiresAt) throw error;
        // The old token still works for a while: use it, and try again soon.
        return { ...old, renewAt: now + Math.min(5000, (old.expiresAt - now) / 2) };
      }
    }
    if (config.kind === 'file') return readTokenFile(config.path);
    return { token: old.token, renewable: false, expiresAt: old.expiresAt }; // keep it until Vault refuses it
  }

  async function isAlive(token: string): Promise<boolean> {
    const out = await transport.send(
      { method: 'GET', path: 'auth/token/lookup-self', idempotent: true },
      token,
    );
    return out.ok;
  }

  return {
    kind: config.kind,

    async token() {
      if (pending) return (await pending).token;
      const lease = current;
      if (lease && (lease.renewAt === undefined || Date.now() < lease.renewAt)) return lease.token;
      return (await once(() => (lease ? renewOrReplace(lease) : obtain()))).token;
    },

    async recover(rejected) {
      if (pending) await pending.catch(() => undefined);
      if (current && current.token !== rejected) return true;
      if (config.kind === 'token') return false;
      if (config.kind === 'file') {
        const next = await once(() => readTokenFile(config.path));
        return next.token !== rejected;
      }
      if (await isAlive(rejected)) return false; // the token is fine: its policy forbids this call
      if (current && current.token !== rejected) return true;
      await once(login);
      return true;
    },

    learn(token, ttlSeconds, renewable) {
      if (current === undefined && config.kind === 'token' && token === config.token)
        current = { token, renewable: false };
      if (current?.token === token) current = leaseOf(token, ttlSeconds, renewable);
    },

    async release() {
      if (pending) await pending.catch(() => undefined);
      const lease = current;
      current = undefined;
      if (config.kind !== 'approle' || !lease) return;
      await transport.send({ method: 'POST', path: 'auth/token/revoke-self', idempotent: true }, lease.token);
    },
  };
}
