/**
 * `phlow-keys sign <id>`: a signature of a message by the key that signs for <id> now, printed as base64url:
 * EdDSA for an Ed25519 key, RS256 for an RSA key (the Python Phlow's).
 */
import { auditFailure } from '@phlow/keys-core';
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
    'Signs the message with the key that signs for <id> now (EdDSA for an Ed25519 key, RS256 for an RSA key) and prints the signature, base64url. Without --message the message is stdin, byte for byte.',
  options: { message: { type: 'string', short: 'm' } },
  optionHelp: [['-m, --message <text>', 'the message (UTF-8); default: read stdin']],
  examples: ['phlow-keys sign my-agent --message "hello"', 'phlow-keys sign my-agent < request.json'],
  async run(context) {
    const id = oneId(context, 'sign');
    const message = await readMessage(context, 'sign');
    const { out } = context;
    await withSession(context, async ({ manager }) => {
      // The key that signs now (during a rotation delay the previous one), named with the signature it made.
      // Not finding it is a failed sign on record, as it is for KeyManager.sign.
      const started = performance.now();
      const pair = await manager.rotationState(id).then(
        (state) => state.signing,
        (error: unknown) => {
          manager.recordAudit('sign', id, started, auditFailure(error));
          throw error;
        },
      );
      const signature = Buffer.from(await manager.signWithKey(pair, message)).toString('base64url');
      if (out.json) return out.data({ keyId: id, kid: pair.kid, alg: pair.jwk.alg, signature });
      out.line(signature);
    });
    return EXIT.OK;
  },
};
