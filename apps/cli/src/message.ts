/**
 * The bytes `sign` and `verify` work on: `--message <text>` as UTF-8, or stdin byte for byte (nothing is
 * trimmed: `echo hi |` signs "hi\n"). Reading stdin from a terminal would wait for Ctrl-D with no hint, so
 * on a terminal a message must be given with --message.
 */
import type { CommandContext } from './command.js';
import { stringValue } from './command.js';
import { UsageError } from './usage-error.js';

export async function readMessage(context: CommandContext, command: string): Promise<Uint8Array> {
  const text = stringValue(context.values, 'message');
  if (text !== undefined) return new TextEncoder().encode(text);
  if (context.stdin.isTTY) {
    throw new UsageError(`${command} needs a message: pass --message <text> or pipe it on stdin`, command);
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of context.stdin) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
