/**
 * `phlow-keys delete <id>`: removes a key pair. Asks first on a terminal; a script must say `--yes`, and
 * without a terminal and without `--yes` the command refuses, so a pipeline can never delete by accident.
 */
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneId } from '../../ids.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';
import { confirm } from './prompt.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'delete');
  const { out } = context;
  const destroy = context.values.destroy === true;
  const interactive = context.stdin.isTTY === true && out.stderr.isTTY === true;
  if (context.values.yes !== true && !interactive) {
    throw new UsageError(
      `refusing to delete "${id}" without confirmation: not on a terminal, so pass --yes to delete from a script`,
      'delete',
    );
  }
  let deleted = false;
  await withSession(context, async ({ manager, store }) => {
    // Read first: a missing id is reported as such, and the prompt can name the key being deleted.
    const pair = (await manager.rotationState(id)).current;
    if (context.values.yes !== true) {
      const ok = await confirm(
        `Delete key "${id}" (kid ${pair.kid}) from ${store.type}${destroy ? ' beyond recovery' : ''}?`,
      );
      if (!ok) {
        out.note('not deleted');
        return;
      }
    }
    await manager.deleteKeyPair(id, { destroy });
    deleted = true;
    if (out.json) return;
    out.line(
      `${out.paint('green', 'deleted')} key ${out.paint('bold', id)} (kid ${pair.kid}) from ${store.type}`,
    );
  });
  if (out.json) out.data({ keyId: id, deleted, destroyed: deleted && destroy });
  return deleted ? EXIT.OK : EXIT.FAILURE;
}
