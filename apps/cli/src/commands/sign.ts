/**
 * `phlow-keys sign <id>`: an EdDSA signature of a message with the current key, printed as base64url.
 */
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { oneId } from '../ids.js';
import { readMessage } from '../message.js';
import { withSession } from '../session.js';

export const sign: Command = {
  name: 'sign',
  summary: 'sign a message (from --message or stdin); prints a base64url signature',
  usage: 'sign <id> [--message <text>]',
  description:
    'Signs the message with the current Ed25519 key of <id> (EdDSA) and prints the signature, base64url. Without --message the message is stdin, byte for byte.',
  options: { message: { type: 'string', short: 'm' } },
  optionHelp: [['-m, --message <text>', 'the message (UTF-8); default: read stdin']],
  examples: ['phlow-keys sign my-agent --message "hello"', 'phlow-keys sign my-agent < request.json'],
  async run(context) {
    const id = oneId(context, 'sign');
    const message = await readMessage(context, 'sign');
    const { out } = context;
    await withSession(context, async ({ manager }) => {
      const signature = Buffer.from(await manager.sign(id, message)).toString('base64url');
      if (out.json) {
        // The key that signed: during a rotation delay the previous one, not the current.
        const pair = await manager.getSigningKey(id);
        return out.data({ keyId: id, kid: pair.kid, alg: 'EdDSA', signature });
      }
      out.line(signature);
    });
    return EXIT.OK;
  },
};
