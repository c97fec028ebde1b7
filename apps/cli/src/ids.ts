/**
 * Positional key ids: how many a command takes, checked against the shared key id rule before any store is
 * opened, so a typo never costs a round trip to Vault. An id a command is about to create is also refused when
 * it looks like key material (a pasted seed or hex secret): the CLI hides such values in every message, so it
 * would make a key whose name no error can show. Existing ids of that shape (written by the Python Phlow or by
 * a library caller) stay readable and deletable: only creating one is refused, and core's rule is unchanged.
 */
import { assertValidKeyId } from '@phlow/keys-core';
import type { CommandContext } from './command.js';
import { UsageError } from './usage-error.js';
import { describeUserInput, looksLikeKeyMaterial } from './user-input.js';

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

/**
 * `id` when it may name a new key; a usage error (exit 2, value not shown) when it looks like key material.
 * `what` says where it was given: "as a key id", "as the destination of --as".
 */
export function assertNewKeyId(id: string, command: string, what = 'as a key id'): string {
  if (!looksLikeKeyMaterial(id)) return id;
  throw new UsageError(
    `${command} got ${describeUserInput(id)} ${what}: keys never go on the command line. A new key id must not look like a secret (64 hex digits, a long mixed-case base64 run, more than 128 characters); if it really is a name, choose one that does not (e.g. a short prefix of it)`,
    command,
  );
}

/** Exactly one `<id>` for a key about to be created. */
export function oneNewId(context: CommandContext, command: string): string {
  return assertNewKeyId(oneId(context, command), command);
}
