/**
 * How a verifying command reports a refusal (verify-token, card verify, http verify): the reason and its code
 * on stderr, and with --json `{ valid: false, error: { code, message, exitCode } }` on stdout. One shape, so
 * scripts read every verifier's refusal alike.
 */
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

export function printRefusal(
  out: Output,
  error: { readonly code: string; readonly message: string },
  exitCode: ExitCode = EXIT.FAILURE,
): ExitCode {
  out.error(error.message.includes(`(${error.code})`) ? error.message : `${error.message} (${error.code})`);
  if (out.json) out.data({ valid: false, error: { code: error.code, message: error.message, exitCode } });
  return exitCode;
}
