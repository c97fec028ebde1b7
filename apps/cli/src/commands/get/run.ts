/**
 * `phlow-keys get <id>`: the public key that signs now, as PEM (default) or JWK. The private key only with `--private`, and
 * then with a warning when it is about to land on a terminal (scrollback, screen sharing).
 */
import { createPrivateKey } from 'node:crypto';
import { KeyStoreError } from '@phlow/keys-core';
import type { CommandContext } from '../../command.js';
import { stringValue } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneId } from '../../ids.js';
import { keyInfo } from '../../key-info.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'get');
  const format = stringValue(context.values, 'format') ?? 'pem';
  if (format !== 'pem' && format !== 'jwk') {
    throw new UsageError(`--format must be pem or jwk, got ${describeUserInput(format)}`, 'get');
  }
  const withPrivate = context.values.private === true;
  const { out } = context;
  await withSession(context, async ({ manager, store }) => {
    if (withPrivate && store.capabilities.signer === true) {
      throw new KeyStoreError(
        'UNSUPPORTED',
        `--private: the private key of "${id}" never leaves ${store.type}, which signs inside the backend. \`phlow-keys sign ${id}\` signs with it; \`phlow-keys get ${id}\` prints its public key`,
        { storeType: store.type, keyId: id },
      );
    }
    // Only --private reads the private key (an audited access); the public key comes from the verification side.
    // Both halves are of the key that signs now (during a rotation delay the previous one; `list` names the
    // waiting one, `jwks` publishes both), so `get` and `get --private` always print one pair.
    const full = withPrivate ? await manager.getKeyPair(id) : undefined;
    const pair = full ?? (await manager.getPublicKeyPair(id));
    if (withPrivate && out.stdout.isTTY) {
      out.warn(
        `printing the PRIVATE key of "${id}" to the terminal; anyone who sees it can sign as this agent`,
      );
    }
    const jwk = full
      ? {
          ...createPrivateKey(full.privateKey).export({ format: 'jwk' }),
          kid: pair.kid,
          use: 'sig',
          ...(pair.jwk.alg ? { alg: pair.jwk.alg } : {}),
        }
      : pair.jwk;
    const pem = full ? full.privateKey : pair.publicKey;
    if (out.json) {
      return out.data({
        ...keyInfo(pair),
        publicKey: pair.publicKey,
        jwk: pair.jwk,
        ...(full ? { privateKey: full.privateKey, privateJwk: jwk } : {}),
      });
    }
    if (format === 'jwk') out.data(jwk);
    else out.stdout.write(pem.endsWith('\n') ? pem : `${pem}\n`);
  });
  return EXIT.OK;
}
