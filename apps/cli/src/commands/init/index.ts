/**
 * `phlow-keys init`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const init: Command = {
  name: 'init',
  summary: 'set up an encrypted key file and master key in .phlow/',
  usage: 'init',
  description:
    'Creates .phlow/ (0700), .phlow/master.key (0600, a random 32-byte key), an empty encrypted key file (PHLOW_KEY_STORE_FILE, default .phlow/keys.enc) and adds .phlow/ to .gitignore. Refuses to overwrite an existing master key or key file. Back up .phlow/master.key: without it the keys cannot be decrypted.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys init && phlow-keys generate my-agent'],
  run: async (context) => (await import('./run.js')).run(context),
};
