/**
 * The bytes `sign` and `verify` work on: `--message <text>` as UTF-8, or stdin byte for byte (nothing is
 * trimmed: `echo hi |` signs "hi\n"), at most MAX_MESSAGE_BYTES (a signature covers the whole message, held
 * in memory: sign a digest of anything larger). Reading stdin from a terminal would wait for Ctrl-D with no
 * hint, so on a terminal a message must be given with --message.
 */
import { readBoundedInput } from './bounded-input.js';
import type { CommandContext } from './command.js';
import { stringValue } from './command.js';
import { UsageError } from './usage-error.js';

/** The largest message `sign` and `verify` read from stdin. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export async function readMessage(context: CommandContext, command: string): Promise<Uint8Array> {
  const text = stringValue(context.values, 'message');
  if (text !== undefined) return new TextEncoder().encode(text);
  if (context.stdin.isTTY) {
    throw new UsageError(`${command} needs a message: pass --message <text> or pipe it on stdin`, command);
  }
  const { bytes, over } = await readBoundedInput(context, '-', MAX_MESSAGE_BYTES);
  if (over) {
    throw new UsageError(
      `${command}: the message on stdin is over ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB: sign a digest of it (for example its SHA-256) instead`,
      command,
    );
  }
  return bytes;
}
