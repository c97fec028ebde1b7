/**
 * The one reader of what a command takes from a file or stdin (an Agent Card, a JWK Set file, a captured
 * request, a token, a message, a new master key file): at most `max` bytes and one more, so `/dev/zero`, a
 * 100 MB PEM or an endless pipe costs `max + 1` bytes of memory and ends in the caller's clear error, never an
 * exhausted heap. The extra byte tells "exactly max" from "more": `over` is true when there was more.
 */
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { CommandContext } from './command.js';

export interface BoundedInput {
  /** What was read: at most `max + 1` bytes. */
  readonly bytes: Uint8Array;
  /** More than `max` bytes were there (the rest was not read). */
  readonly over: boolean;
}

/** Reads `source` (a path, relative to the command's cwd, or `-` for stdin) up to `max + 1` bytes. */
export async function readBoundedInput(
  context: Pick<CommandContext, 'cwd' | 'stdin'>,
  source: string,
  max: number,
): Promise<BoundedInput> {
  if (source === '-') return readStdin(context, max);
  const file = await open(isAbsolute(source) ? source : resolve(context.cwd, source), 'r');
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), over: length > max };
  } finally {
    await file.close();
  }
}

async function readStdin(context: Pick<CommandContext, 'stdin'>, max: number): Promise<BoundedInput> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of context.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    chunks.push(bytes);
    size += bytes.byteLength;
    if (size > max) break; // leaving the loop stops reading stdin
  }
  const bytes = Buffer.concat(chunks);
  return { bytes: bytes.subarray(0, Math.min(bytes.length, max + 1)), over: size > max };
}
