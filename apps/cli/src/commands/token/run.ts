/**
 * `phlow-keys token <id>`: a signed JWT for an agent, as signJwt makes it (EdDSA for Ed25519 keys, ES256 for P-256 keys, RS256 for
 * RSA keys; kid = the JWK Set thumbprint; iat, exp). For scripts and for trying a peer's verifier by hand.
 */
import { isJwtError, signJwt } from '@phlow/keys-jwt';
import type { CommandContext } from '../../command.js';
import { stringValue, stringValues } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { oneId } from '../../ids.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

function parseClaims(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(text);
  } catch {
    // The text is not echoed: it may hold anything.
    throw new UsageError('--claims is not valid JSON: pass an object such as \'{"scope":"read"}\'', 'token');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new UsageError('--claims must be a JSON object', 'token');
  }
  return claims as Record<string, unknown>;
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'token');
  const claims = parseClaims(stringValue(context.values, 'claims'));
  const aud = stringValues(context.values, 'aud');
  const sub = stringValue(context.values, 'sub');
  const { out } = context;
  await withSession(context, async ({ manager }) => {
    let jwt: string;
    try {
      jwt = await signJwt(manager, id, claims, {
        expiresIn: stringValue(context.values, 'ttl') ?? 300,
        ...(aud.length > 0 ? { audience: aud.length === 1 ? aud[0]! : aud } : {}),
        ...(sub !== undefined ? { subject: sub } : {}),
      });
    } catch (error) {
      if (isJwtError(error, 'INVALID_ARGUMENT')) throw new UsageError(error.message, 'token');
      throw error;
    }
    if (!out.json) return out.line(jwt);
    const [header, payload] = jwt
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    out.data({
      keyId: id,
      kid: header.kid,
      alg: header.alg,
      expiresAt: new Date(payload.exp * 1000).toISOString(),
      token: jwt,
    });
  });
  return EXIT.OK;
}
