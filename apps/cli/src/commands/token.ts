/**
 * `phlow-keys token <id>`: a signed JWT for an agent, as signJwt makes it (EdDSA for Ed25519 keys, RS256 for
 * RSA keys; kid = the JWK Set thumbprint; iat, exp). For scripts and for trying a peer's verifier by hand.
 */
import { isJwtError, signJwt } from '@phlow/keys-jwt';
import type { Command, OptionValues } from '../command.js';
import { stringValue } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { oneId } from '../ids.js';
import { withSession } from '../session.js';
import { UsageError } from '../usage-error.js';

/** Values of a repeatable string option. */
export function stringValues(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

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

export const token: Command = {
  name: 'token',
  summary: 'print a signed JWT for an agent (EdDSA or RS256, by key type)',
  usage: 'token <id> [--aud <agent>]... [--ttl 5m] [--claims <JSON>] [--sub <subject>]',
  description:
    "Signs a JWT with the current key of <id>: alg EdDSA (Ed25519 key) or RS256 (RSA key), kid = the key's JWK thumbprint, iss = <id>, iat, and exp after --ttl. A Python Phlow verifier accepts only RS256 tokens without --aud.",
  options: {
    aud: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    claims: { type: 'string' },
    sub: { type: 'string' },
  },
  optionHelp: [
    [
      '--aud <agent>',
      'the audience (repeat for several); verifiers that expect one refuse tokens without it',
    ],
    ['--ttl <duration>', 'lifetime: seconds or 90s, 5m, 1h, 1d (at most 1d); default 5m'],
    ['--claims <JSON>', 'extra claims, a JSON object (iat, exp and nbf are set by the command)'],
    ['--sub <subject>', 'the sub claim'],
  ],
  examples: [
    'phlow-keys token my-agent --aud peer-agent',
    'phlow-keys token my-agent --ttl 1m --claims \'{"scope":"read"}\'',
    'curl -H "Authorization: Bearer $(phlow-keys token my-agent --aud peer)" https://peer.example/tasks',
  ],
  async run(context) {
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
  },
};
