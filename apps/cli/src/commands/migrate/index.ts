/**
 * `phlow-keys migrate`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts, loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const migrate: Command = {
  name: 'migrate',
  summary: 'copy keys from one store to another (never deletes from the source)',
  usage: 'migrate --from <type> --to <type> [ids...] [--as <source>=<id>]... [--dry-run] [--overwrite]',
  description: [
    'Copies the current key pair of each id from one store to another, both configured from the environment.',
    'Ids: the ones given, else every id the source lists, plus the sources of --as mappings. No id is renamed silently: the environment store lists PHLOW_PRIVATE_KEY_MY_AGENT as MY_AGENT, which may be meant for my-agent, so such an id is copied only with --as MY_AGENT=<id> or when the destination already has one id spelled that way (my-agent); otherwise it is reported as ambiguous and not copied.',
    'Each key is read back from the destination and compared before it counts as copied. An identical key already there is skipped, so running again after a failure resumes; a different one is a conflict, left alone unless --overwrite.',
    'Only current versions are copied: migrate before a rotation, or after its grace period.',
    "Listed ids <id>_new beside <id> (left by the Python Phlow's rotation) are skipped unless named.",
  ].join('\n\n'),
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
    overwrite: { type: 'boolean' },
    as: { type: 'string', multiple: true },
  },
  optionHelp: [
    ['--from <type>', 'source store (environment, encrypted_file, vault, aws, ...)'],
    ['--to <type>', 'destination store'],
    ['--dry-run', 'read both stores and report what would happen; write nothing'],
    [
      '--as <source>=<id>',
      'copy source id <source> as <id> (repeatable), e.g. --as MY_AGENT=my-agent for PHLOW_PRIVATE_KEY_MY_AGENT',
    ],
    [
      '--overwrite',
      'replace keys that differ at the destination (versioned stores keep the old one as a version)',
    ],
  ],
  examples: [
    'phlow-keys migrate --from environment --to vault my-agent',
    'phlow-keys migrate --from environment --to vault --as MY_AGENT=my-agent',
    'phlow-keys migrate --from encrypted_file --to aws --dry-run',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
