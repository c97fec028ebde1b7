/**
 * The one reader of what a command takes from a file or stdin (an Agent Card, a JWK Set file, a captured
 * request, a request body, a token, a message, a new master key file): at most `max` bytes and one more, so
 * `/dev/zero`, a 100 MB PEM or an endless pipe costs `max + 1` bytes of memory and ends in the caller's clear
 * error, never an exhausted heap. The extra byte tells "exactly max" from "more": `over` is true when there
 * was more.
 *
 * A path is read only if it names a regular file. The size bound does not bound time: a FIFO with no writer
 * would block open() for ever, and a terminal or other device would wait for input no one types. So the path
 * is opened with core's regular-file helper (`@phlow/keys-core/adapter`: O_NONBLOCK, so a FIFO opens at once
 * instead of waiting for a writer, O_NOCTTY, and fstat on the open handle, so a swap of the path after the
 * check changes nothing); anything else is a UsageError, and so is a path that names nothing when the caller
 * names its input (`what`). Stdin (`-`) is
 * read as it comes, within the same size bound: piping is how a stream is given on purpose. A caller whose
 * input must stay a file (a new master key file, which the key file's users go on reading) turns stdin off, so
 * that neither `-` nor the advice offers it.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  isRegularFileRefusal,
  type OpenedRegularFile,
  openRegularFile,
  readOpenedHead,
} from '@phlow/keys-core/adapter';
import type { CommandContext } from './command.js';
import { UsageError } from './usage-error.js';

export interface BoundedInput {
  /** What was read: at most `max + 1` bytes. */
  readonly bytes: Uint8Array;
  /** More than `max` bytes were there (the rest was not read). */
  readonly over: boolean;
  /** The file's mode bits (fstat of the open handle); undefined for stdin. */
  readonly mode: number | undefined;
}

export interface BoundedInputOptions {
  /**
   * How the messages name the input, e.g. `--new-master-key-file`. Given, a path that names nothing is a
   * UsageError naming it too; without it, the open's own ENOENT is thrown, as before (exit 3). Default:
   * `the input path`.
   */
  readonly what?: string;
  /** False: `-` is not stdin and is refused, and no message suggests piping. Default: true. */
  readonly stdin?: boolean;
  /** The command whose `--help` a refusal suggests. Default: none (`phlow-keys --help`). */
  readonly command?: string;
}

/** Reads `source` (a path, relative to the command's cwd, or `-` for stdin) up to `max + 1` bytes. */
export async function readBoundedInput(
  context: Pick<CommandContext, 'cwd' | 'stdin'>,
  source: string,
  max: number,
  options: BoundedInputOptions = {},
): Promise<BoundedInput> {
  const { what = 'the input path', stdin = true, command } = options;
  const named = options.what !== undefined;
  if (source === '-') {
    if (stdin) return readStdin(context, max);
    throw new UsageError(
      `${what} takes a file, not - (stdin): write the input to a file and give its path`,
      command,
    );
  }
  const pipe = stdin ? ', or pass - and pipe the input on stdin' : '';
  let file: OpenedRegularFile;
  try {
    file = await openRegularFile(isAbsolute(source) ? source : resolve(context.cwd, source));
  } catch (error) {
    // Neither the path nor anything read is quoted: the user knows which path they gave.
    if (isRegularFileRefusal(error)) {
      throw new UsageError(
        `${what} names a FIFO, device, socket or directory, not a regular file: give a regular file${pipe}`,
        command,
      );
    }
    const code = (error as { code?: string }).code;
    if (named && (code === 'ENOENT' || code === 'ENOTDIR')) {
      throw new UsageError(`${what} names no file (${code}): check the path${pipe}`, command);
    }
    throw error;
  }
  try {
    // max + 1 bytes, not a refusal at max: callers tell "over" apart themselves (a card parser says TOO_LARGE).
    const bytes = await readOpenedHead(file, max + 1);
    return { bytes, over: bytes.length > max, mode: Number(file.stats.mode) };
  } finally {
    await file.handle.close();
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
  return { bytes: bytes.subarray(0, Math.min(bytes.length, max + 1)), over: size > max, mode: undefined };
}
