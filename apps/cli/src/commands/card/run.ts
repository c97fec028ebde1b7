/**
 * `phlow-keys card sign|verify`: the CLI face of @phlow/keys-a2a. Sign prints the signed card (JSON, for a
 * file or a pipe); verify exits 0 when the card is trusted and 1 when it is refused, with the refusal's code,
 * so a script can tell "forged" (1) from "could not check" (the store's exit codes; 5 for a JWK Set that
 * cannot be fetched). Card files and JWK Set files are read with a size bound; nothing of a card is echoed.
 */
import {
  type AgentCardTrustPolicy,
  type CardAlgorithm,
  DEFAULT_MAX_CARD_BYTES,
  isAgentCardError,
  parseAgentCardJson,
  signAgentCard,
  verifyAgentCard,
} from '@phlow/keys-a2a';
import { isKeyStoreError, KeyStoreError } from '@phlow/keys-core';
import { createRemoteKeySet } from '@phlow/keys-jwt';
import { readBoundedInput } from '../../bounded-input.js';
import type { CommandContext } from '../../command.js';
import { stringValue, stringValues } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { printRefusal } from '../../refusal.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

const ALGS: readonly CardAlgorithm[] = ['EdDSA', 'Ed25519', 'ES256', 'RS256'];
const MAX_JWKS_BYTES = 256 * 1024;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Up to `max` bytes of a file, or of stdin for `-`, and one more, so the parser sees the bound (TOO_LARGE). */
async function readBounded(context: CommandContext, path: string, max: number): Promise<Uint8Array> {
  if (path === '-' && context.stdin.isTTY)
    throw new UsageError('pipe the card on stdin, or give its file', 'card');
  return (await readBoundedInput(context, path, max)).bytes;
}

function refusal(context: CommandContext, error: { code: string; message: string }): ExitCode {
  return printRefusal(
    context.out,
    error,
    error.code === 'KEYS_UNAVAILABLE' ? EXIT.UNAVAILABLE : EXIT.FAILURE,
  );
}

async function sign(context: CommandContext, id: string, path: string): Promise<ExitCode> {
  const card = parseAgentCardJson(await readBounded(context, path, DEFAULT_MAX_CARD_BYTES));
  const jku = stringValue(context.values, 'jku');
  return withSession(context, async ({ manager }) => {
    const signed = await signAgentCard(
      manager,
      id,
      card as Record<string, unknown>,
      jku === undefined ? {} : { jku },
    );
    context.out.stdout.write(`${JSON.stringify(signed, null, 2)}\n`);
    return EXIT.OK;
  });
}

async function policyFromJwks(context: CommandContext, source: string, algorithms: readonly CardAlgorithm[]) {
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    const set = createRemoteKeySet(url, {
      allowInsecureLoopback: url.protocol === 'http:' && LOOPBACK.has(url.hostname),
    });
    return { policy: { algorithms, jwks: [set] } satisfies AgentCardTrustPolicy, close: () => set.close() };
  }
  const parsed = parseAgentCardJson(await readBounded(context, source, MAX_JWKS_BYTES), {
    maxBytes: MAX_JWKS_BYTES,
  });
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new UsageError('--jwks file must be a JWK Set: {"keys": [...]}', 'card');
  return {
    policy: {
      algorithms,
      pinnedKeys: keys as import('node:crypto').JsonWebKey[],
    } satisfies AgentCardTrustPolicy,
    close: () => {},
  };
}

async function verify(context: CommandContext, path: string): Promise<ExitCode> {
  const jwks = stringValue(context.values, 'jwks');
  const id = stringValue(context.values, 'id');
  if ((jwks === undefined) === (id === undefined)) {
    throw new UsageError(
      'card verify needs the trusted keys: --jwks <url|file> or --id <id> (one of them)',
      'card',
    );
  }
  const given = stringValues(context.values, 'alg');
  for (const alg of given) {
    if (!ALGS.includes(alg as CardAlgorithm))
      throw new UsageError(`--alg must be one of ${ALGS.join(', ')}`, 'card');
  }
  const algorithms = (given.length > 0 ? given : ['EdDSA', 'ES256', 'RS256']) as CardAlgorithm[];
  const jku = context.values['ignore-jku'] === true ? 'ignore' : 'allow-list';
  const text = await readBounded(context, path, DEFAULT_MAX_CARD_BYTES);
  const { out } = context;
  const check = async (policy: AgentCardTrustPolicy): Promise<ExitCode> => {
    try {
      const result = await verifyAgentCard(text, { ...policy, jku });
      const { card: _card, ...named } = result;
      if (out.json) out.data({ valid: true, ...named });
      else
        out.line(
          `valid: signed by ${result.kid} (${result.alg}, ${result.keyId ?? result.url ?? 'pinned key'})`,
        );
      return EXIT.OK;
    } catch (error) {
      // A policy the library refuses comes from this command line (a --jwks file with a private key, ...).
      if (isAgentCardError(error, 'INVALID_ARGUMENT')) throw new UsageError(error.message, 'card');
      if (isAgentCardError(error)) return refusal(context, error);
      throw error;
    }
  };
  if (id !== undefined) {
    return withSession(context, ({ manager }) => check({ algorithms, keys: manager, keyIds: [id] }));
  }
  let trust: Awaited<ReturnType<typeof policyFromJwks>>;
  try {
    trust = await policyFromJwks(context, jwks as string, algorithms);
  } catch (error) {
    if (isAgentCardError(error)) throw new UsageError(`--jwks: ${error.message}`, 'card');
    if (error instanceof TypeError) throw new UsageError('--jwks must be an http(s) URL or a file', 'card');
    throw error;
  }
  try {
    return await check(trust.policy);
  } finally {
    trust.close();
  }
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const [action, ...rest] = context.positionals;
  try {
    if (action === 'sign') {
      if (rest.length !== 2) throw new UsageError('card sign takes <id> and <card.json | ->', 'card');
      return await sign(context, rest[0] as string, rest[1] as string);
    }
    if (action === 'verify') {
      if (rest.length !== 1) throw new UsageError('card verify takes one <card.json | ->', 'card');
      return await verify(context, rest[0] as string);
    }
  } catch (error) {
    // A card that cannot be read as a card is refused like a forged one (exit 1, with its code).
    if (isAgentCardError(error)) return refusal(context, error);
    if (isKeyStoreError(error) || error instanceof UsageError) throw error;
    if ((error as { code?: unknown })?.code === 'ENOENT') {
      throw new KeyStoreError('NOT_FOUND', '[phlow] [cli] the file does not exist: check the path');
    }
    throw error;
  }
  throw new UsageError(
    'card needs an action: card sign <id> <card.json> or card verify <card.json> --jwks <url|file>',
    'card',
  );
}
