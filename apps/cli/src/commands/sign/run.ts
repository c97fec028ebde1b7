/**
 * `phlow-keys sign <id>`: a signature of a message by the key that signs for <id> now, printed as base64url:
 * EdDSA for an Ed25519 key, RS256 for an RSA key (the Python Phlow's).
 */
import { auditFailure } from '@phlow/keys-core';
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
}
