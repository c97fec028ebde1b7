/**
 * `phlow-keys sign <id>`: a signature of a message by the key that signs for <id> now, printed as base64url:
 * EdDSA for an Ed25519 key, ES256 (JWS r || s form) for a P-256 key, RS256 for an RSA key (the Python Phlow's).
 */
import type { CommandContext } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneId } from '../../ids.js';
import { readMessage } from '../../message.js';
import { withSession } from '../../session.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'sign');
  const message = await readMessage(context, 'sign');
  const { out } = context;
  await withSession(context, async ({ manager }) => {
    // The key that signs now (during a rotation delay the previous one), named with the signature it made,
    // in one audited call.
    const signed = await manager.signDetailed(id, message);
    const signature = Buffer.from(signed.signature).toString('base64url');
    if (out.json) return out.data({ keyId: id, kid: signed.kid, alg: signed.alg, signature });
    out.line(signature);
  });
  return EXIT.OK;
}
