/**
 * How a failure is shown: one line on stderr that says what went wrong and what to do (the core and adapter
 * messages are written that way), the exit code from exit-codes.ts, and a stack trace only with --debug.
 * With --json, stdout also gets `{"error": {...}}` so a script reading stdout sees why there is no result.
 */
import { isKeyStoreError } from '@phlow/keys-core';
import { EXIT, type ExitCode, exitCodeFor } from './exit-codes.js';
import type { Output } from './output.js';
import { UsageError } from './usage-error.js';
import { scrubUserInput } from './user-input.js';

function errnoExit(code: unknown): ExitCode | undefined {
  if (code === 'EACCES' || code === 'EPERM') return EXIT.DENIED;
  if (code === 'EEXIST') return EXIT.CONFLICT;
  if (code === 'ENOENT') return EXIT.NOT_FOUND;
  return undefined;
}

function causes(error: unknown): string[] {
  const lines: string[] = [];
  let current = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    lines.push(
      `caused by: ${current instanceof Error ? (current.stack ?? current.message) : String(current)}`,
    );
    current = (current as { cause?: unknown } | null)?.cause;
  }
  return lines;
}

/**
 * `secrets`: command-line values that may be key material (user-input.ts); they are cut out of everything
 * written here, whichever layer put them into the message.
 */
export function reportError(
  out: Output,
  error: unknown,
  debug: boolean,
  secrets: readonly string[] = [],
): ExitCode {
  const scrub = (text: string) => scrubUserInput(text, secrets);
  let exitCode: ExitCode;
  let code: string;
  const message = scrub(error instanceof Error ? error.message : String(error));
  if (error instanceof UsageError) {
    exitCode = EXIT.USAGE;
    code = 'USAGE';
  } else if (isKeyStoreError(error)) {
    exitCode = exitCodeFor(error.code);
    code = error.code;
  } else {
    const errno = (error as { code?: unknown } | null)?.code;
    exitCode = errnoExit(errno) ?? EXIT.FAILURE;
    code = typeof errno === 'string' ? errno : 'ERROR';
  }
  out.error(message);
  if (error instanceof UsageError) {
    out.note(`run \`phlow-keys ${error.command ? `${error.command} ` : ''}--help\` for usage`);
  }
  if (debug) {
    if (error instanceof Error && error.stack) out.note(scrub(error.stack));
    for (const line of causes(error)) out.note(scrub(line));
  } else if (!(error instanceof UsageError) && !isKeyStoreError(error)) {
    out.note('run again with --debug for the stack trace');
  }
  if (out.json) out.data({ error: { code, message, exitCode } });
  return exitCode;
}
