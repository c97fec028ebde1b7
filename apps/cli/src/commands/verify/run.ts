/**
 * `phlow-keys verify <id> --signature <b64url>`: exit 0 when the signature is valid under the current key
 * or a key still in its grace period, 1 when it is not. Errors (no such key, store down) have their own codes,
 * so a script can tell "forged" from "could not check".
 */
import type { CommandContext } from '../../command.js';
import { stringValue } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneId } from '../../ids.js';
import { readMessage } from '../../message.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'verify');
  const encoded = stringValue(context.values, 'signature');
  if (encoded === undefined) throw new UsageError('verify needs --signature <b64url>', 'verify');
  if (!BASE64URL.test(encoded)) throw new UsageError('--signature is not base64url', 'verify');
  const signature = new Uint8Array(Buffer.from(encoded, 'base64url'));
  const message = await readMessage(context, 'verify');
  const { out } = context;
  const valid = await withSession(context, async ({ manager }) => {
    // Any length goes to the key's algorithm (64 bytes for EdDSA and ES256, the modulus size for RS256),
    // which answers false for a signature of the wrong shape; a missing key is still reported.
    const ok = await manager.verify(id, message, signature);
    const why = `not made by any current or in-grace key of ${id}`;
    // SIGNATURE_INVALID: the one code for a bad signature, as verify-token and the audit trail give it.
    if (out.json) {
      out.data(
        ok
          ? { keyId: id, valid: true }
          : {
              keyId: id,
              valid: false,
              error: { code: 'SIGNATURE_INVALID', message: why, exitCode: EXIT.FAILURE },
            },
      );
    } else if (ok) out.line(`${out.paint('green', 'valid')} signature by ${id}`);
    else out.line(`${out.paint('red', 'invalid')} signature: ${why} (SIGNATURE_INVALID)`);
    return ok;
  });
  return valid ? EXIT.OK : EXIT.FAILURE;
}
