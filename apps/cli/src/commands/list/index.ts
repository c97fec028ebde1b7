/**
 * `phlow-keys list`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const list: Command = {
  name: 'list',
  summary: 'list the keys in the store',
  usage: 'list',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys list', 'phlow-keys list --json | jq -r ".keys[].keyId"'],
  run: async (context) => (await import('./run.js')).run(context),
};
