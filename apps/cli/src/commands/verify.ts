/**
 * `phlow-keys verify <id> --signature <b64url>`: exit 0 when the signature is valid under the current key
 * or a key still in its grace period, 1 when it is not. Errors (no such key, store down) have their own codes,
 * so a script can tell "forged" from "could not check".
 */
import type { Command } from '../command.js';
import { stringValue } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { oneId } from '../ids.js';
import { readMessage } from '../message.js';
import { withSession } from '../session.js';
import { UsageError } from '../usage-error.js';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export const verify: Command = {
  name: 'verify',
  summary: 'verify a signature (exit 0 valid, 1 invalid)',
  usage: 'verify <id> --signature <b64url> [--message <text>]',
  description:
    'Checks a signature (EdDSA for an Ed25519 key, RS256 for an RSA key) against the current key of <id> and any key still in its rotation grace period. A signature may start with "-": pass it as --signature=<b64url>.',
  options: { signature: { type: 'string', short: 's' }, message: { type: 'string', short: 'm' } },
  optionHelp: [
    ['-s, --signature <b64url>', 'the signature, base64url (as `sign` prints it)'],
    ['-m, --message <text>', 'the message (UTF-8); default: read stdin'],
  ],
  examples: [
    'phlow-keys verify my-agent --signature="$sig" --message "hello"',
    'phlow-keys verify my-agent --signature="$sig" < request.json && echo trusted',
  ],
  async run(context) {
    const id = oneId(context, 'verify');
    const encoded = stringValue(context.values, 'signature');
    if (encoded === undefined) throw new UsageError('verify needs --signature <b64url>', 'verify');
    if (!BASE64URL.test(encoded)) throw new UsageError('--signature is not base64url', 'verify');
    const signature = new Uint8Array(Buffer.from(encoded, 'base64url'));
    const message = await readMessage(context, 'verify');
    const { out } = context;
    const valid = await withSession(context, async ({ manager }) => {
      // An Ed25519 signature is 64 bytes; any other length is invalid, but a missing key is still reported.
      const ok =
        signature.length === 64
          ? await manager.verify(id, message, signature)
          : (await manager.getVerificationKeys(id)) && false;
      if (out.json) out.data({ keyId: id, valid: ok });
      else if (ok) out.line(`${out.paint('green', 'valid')} signature by ${id}`);
      else
        out.line(
          `${out.paint('red', 'invalid')} signature: not made by any current or in-grace key of ${id}`,
        );
      return ok;
    });
    return valid ? EXIT.OK : EXIT.FAILURE;
  },
};
