/**
 * `phlow-keys generate <id>`: a new Ed25519 key pair in the store. Refuses an id that exists: replacing a key
 * in use is `rotate`, which keeps the old key verifying during the grace period.
 */
import { isKeyStoreError } from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneNewId } from '../../ids.js';
import { algorithmOption } from '../../key-algorithm.js';
import { keyInfo } from '../../key-info.js';
import { withSession } from '../../session.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneNewId(context, 'generate');
  const algorithm = algorithmOption(context, 'generate');
  const { out } = context;
  await withSession(context, async ({ manager, store }) => {
    try {
      // createKey: generated here and stored, or inside the backend on a store that signs there.
      await manager.createKey(id, algorithm === undefined ? {} : { algorithm });
      // Read back: proves the key landed, and gives the version and time the store recorded.
      const info = keyInfo((await manager.rotationState(id)).current);
      if (out.json) return out.data({ ...info, store: store.type });
      out.line(`${out.paint('green', 'generated')} key ${out.paint('bold', id)} in ${store.type}`);
      out.fields([
        ['kid', info.kid],
        ['algorithm', `${info.alg} (${info.keyType})`],
      ]);
    } catch (error) {
      if (isKeyStoreError(error, 'CONFLICT')) out.note(`hint: replace it with \`phlow-keys rotate ${id}\``);
      throw error;
    }
  });
  return EXIT.OK;
}
