/**
 * `phlow-keys delete <id>`: removes a key pair. Asks first on a terminal; a script must say `--yes`, and
 * without a terminal and without `--yes` the command refuses, so a pipeline can never delete by accident.
 */
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { oneId } from '../ids.js';
import { confirm } from '../prompt.js';
import { withSession } from '../session.js';
import { UsageError } from '../usage-error.js';

export const remove: Command = {
  name: 'delete',
  summary: 'delete a key pair (asks first; --yes for scripts)',
  usage: 'delete <id> [--yes] [--destroy]',
  description:
    'Deletes <id>. Vault and AWS delete recoverably unless --destroy is given. Signatures made with the key stop verifying at once; prefer rotate for a key in use.',
  options: { yes: { type: 'boolean', short: 'y' }, destroy: { type: 'boolean' } },
  optionHelp: [
    ['-y, --yes', 'do not ask (required when not on a terminal)'],
    ['--destroy', 'remove every version beyond recovery where the store can (Vault, AWS)'],
  ],
  examples: ['phlow-keys delete old-agent', 'phlow-keys delete old-agent --yes --json'],
  async run(context) {
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
      const pair = await manager.getPublicKeyPair(id);
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
  },
};
