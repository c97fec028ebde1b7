/**
 * `phlow-keys delete`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

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
  run: async (context) => (await import('./run.js')).run(context),
};
