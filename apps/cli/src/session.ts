/**
 * Opens the chosen store and a KeyManager over it for one command, and always closes them (a Vault store
 * holds a token-renewal timer that would keep the process alive).
 */
import { KeyManager, type KeyStore } from '@phlow/keys-core';
import type { CommandContext } from './command.js';
import { withMissingKeyFile } from './key-file.js';
import { chooseStore, openStore } from './store.js';

export interface Session {
  readonly store: KeyStore;
  readonly manager: KeyManager;
}

/** Store of `type` (default: the one `--store` / PHLOW_KEY_STORE_TYPE / the CLI default names). */
export async function withSession<T>(
  context: CommandContext,
  use: (session: Session) => Promise<T>,
  type = chooseStore(context.flags.store, context.env).type,
): Promise<T> {
  const store = await openStore(type, {
    env: context.env,
    cwd: context.cwd,
    onWarning: (message) => context.out.warn(message),
  });
  try {
    const manager = new KeyManager({ store, env: context.env });
    return await use({ store, manager });
  } catch (error) {
    throw withMissingKeyFile(error, type, context.env, context.cwd);
  } finally {
    await store.close?.();
  }
}
