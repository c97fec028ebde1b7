/**
 * `--alg` of `generate` and `rotate`: a JWS algorithm of core's algorithm table (EdDSA for Ed25519, ES256
 * for P-256, RS256 for RSA-2048), checked before any store is opened so that a typo costs no round trip.
 */
import { isKeyAlgorithm, KEY_ALGORITHMS, type KeyAlgorithm } from '@phlow/keys-core';
import { type CommandContext, stringValue } from './command.js';
import { UsageError } from './usage-error.js';
import { describeUserInput } from './user-input.js';

/** The `--alg` a command was given, or undefined (the command's default: EdDSA, or the replaced key's). */
export function algorithmOption(context: CommandContext, command: string): KeyAlgorithm | undefined {
  const given = stringValue(context.values, 'alg');
  if (given === undefined || isKeyAlgorithm(given)) return given;
  throw new UsageError(
    `--alg must be one of ${KEY_ALGORITHMS.join(', ')}, got ${describeUserInput(given)}`,
    command,
  );
}
