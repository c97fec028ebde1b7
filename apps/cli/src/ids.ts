/**
 * Positional key ids: how many a command takes, checked against the shared key id rule before any store is
 * opened, so a typo never costs a round trip to Vault.
 */
import { assertValidKeyId } from '@phlow/keys-core';
import type { CommandContext } from './command.js';
import { UsageError } from './usage-error.js';

/** Exactly one `<id>`. */
export function oneId(context: CommandContext, command: string): string {
  const [id, ...rest] = context.positionals;
  if (id === undefined)
    throw new UsageError(`${command} needs a key id, e.g. phlow-keys ${command} my-agent`, command);
  if (rest.length > 0)
    throw new UsageError(`${command} takes one key id, got ${context.positionals.length}`, command);
  return assertValidKeyId(id);
}

/** Zero or more ids, each checked. */
export function someIds(context: CommandContext): string[] {
  return context.positionals.map((id) => assertValidKeyId(id));
}
