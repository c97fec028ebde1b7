/**
 * An authenticated call: the transport plus the token source. When Vault refuses a call, the token source gets
 * one chance to replace a dead token (AppRole login, a rewritten token file) and the call is sent once more.
 * Repeating is safe even for a write: a 403 means Vault did nothing.
 */
import { createTokenSource, type TokenSource } from './auth.js';
import { isPermissionDenied, toKeyStoreError, type VaultAction } from './errors.js';
import type { VaultConfig } from './options.js';
import { createTransport, type VaultCall, type VaultOutcome, type VaultTransport } from './transport.js';

export interface VaultSession {
  readonly transport: VaultTransport;
  readonly auth: TokenSource;
  readonly address: string;
  /** Sends `call` with the current token. Resolves the outcome; throws only when no token can be had. */
  call(call: VaultCall): Promise<VaultOutcome>;
  /** Like `call`, but a failure is thrown as a KeyStoreError describing `action` on the call's path. */
  expect(call: VaultCall, action: string, keyId?: string): Promise<unknown>;
  /** Where a failure happened, for toKeyStoreError. */
  at(action: string, path: string, keyId?: string): VaultAction;
  /** Revokes a token obtained by AppRole login. */
  close(): Promise<void>;
}

export function createSession(config: VaultConfig): VaultSession {
  const transport = createTransport(config.transport);
  const auth = createTokenSource(config.auth, transport);
  const { address, timeoutMs } = config.transport;
  const at = (action: string, path: string, keyId?: string): VaultAction => ({
    action,
    path: path.replace(/\?.*$/, ''),
    address,
    keyId,
    timeoutMs,
  });

  async function call(c: VaultCall): Promise<VaultOutcome> {
    const token = await auth.token();
    const out = await transport.send(c, token);
    if (!out.ok && isPermissionDenied(out.failure) && (await auth.recover(token))) {
      return transport.send(c, await auth.token());
    }
    return out;
  }

  return {
    transport,
    auth,
    address,
    call,
    at,
    async close() {
      await auth.release();
      transport.close();
    },
    async expect(c, action, keyId) {
      const out = await call(c);
      if (!out.ok) throw toKeyStoreError(out.failure, at(action, c.path, keyId));
      return out.body;
    },
  };
}
