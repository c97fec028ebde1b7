/**
 * `phlow-keys generate`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const generate: Command = {
  name: 'generate',
  summary: 'generate a new Ed25519 key pair',
  usage: 'generate <id>',
  description: 'Creates an Ed25519 key pair under <id>. An existing id is never overwritten: use rotate.',
  options: {},
  optionHelp: [],
  examples: ['phlow-keys generate my-agent'],
  run: async (context) => (await import('./run.js')).run(context),
};
