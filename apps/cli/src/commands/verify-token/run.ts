/**
 * `phlow-keys verify-token <token>`: exit 0 and the verified claims when the token is valid, 1 when it is
 * refused (with the reason's code), so a script can tell "forged or expired" from "could not check" (the
 * store's own exit codes). The token is never printed, also not in errors: it may be a live credential.
 * Give it as `-` or not at all to read it from stdin, which keeps it out of the process list.
 */
import { DEFAULT_MAX_TOKEN_LENGTH, isJwtError, verifyJwt } from '@phlow/keys-jwt';
import { readBoundedInput } from '../../bounded-input.js';
import type { CommandContext } from '../../command.js';
import { stringValue, stringValues } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { printRefusal } from '../../refusal.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

/** The token from the argument or stdin; stdin is read only up to one byte past the longest accepted token. */
async function readToken(context: CommandContext): Promise<string> {
  const [given, ...rest] = context.positionals;
  if (rest.length > 0) throw new UsageError('verify-token takes one token', 'verify-token');
  if (given !== undefined && given !== '-') return given;
  if (context.stdin.isTTY) {
    throw new UsageError(
      'verify-token needs a token: pass it as an argument or pipe it on stdin',
      'verify-token',
    );
  }
  // One byte past the longest accepted token (and its newline): verifyJwt refuses a longer one as TOO_LARGE.
  const { bytes } = await readBoundedInput(context, '-', DEFAULT_MAX_TOKEN_LENGTH + 2);
  return Buffer.from(bytes).toString('utf8').trim();
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const token = await readToken(context);
  const aud = stringValues(context.values, 'aud');
  const issuer = stringValue(context.values, 'issuer');
  const { out } = context;
  return withSession(context, async ({ manager }) => {
    try {
      const result = await verifyJwt(manager, token, {
        ...(aud.length > 0 ? { audience: aud } : {}),
        ...(issuer !== undefined ? { keyId: issuer } : {}),
      });
      if (out.json)
        out.data({
          valid: true,
          keyId: result.keyId,
          kid: result.kid,
          alg: result.protectedHeader.alg,
          claims: result.payload,
        });
      else out.data(result.payload);
      return EXIT.OK;
    } catch (error) {
      if (!isJwtError(error)) throw error;
      return printRefusal(out, error);
    }
  });
}
