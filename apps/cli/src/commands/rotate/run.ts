/**
 * `phlow-keys rotate <id>`: a new current key, published at once (it verifies and is in the JWK Set) and
 * signing after PHLOW_KEY_ROTATION_DELAY_SECONDS; the previous one keeps verifying for the grace period
 * (PHLOW_KEY_ROTATION_GRACE_SECONDS), so no verifier in the fleet ever sees a key it does not know yet.
 * `--if-older-than` makes it a scheduled rotation any number of replicas and cron jobs may run at once;
 * `--now` and `--revoke-previous` are for a leaked key.
 */
import type { KeyManager, RotationResult } from '@phlow/keys-core';
import { parseDuration } from '@phlow/keys-core/adapter';
import { type CommandContext, stringValue } from '../../command.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { formatDuration } from '../../format-duration.js';
import { oneId } from '../../ids.js';
import { algorithmOption } from '../../key-algorithm.js';
import type { Output } from '../../output.js';
import { withSession } from '../../session.js';
import { UsageError } from '../../usage-error.js';

/** Bounded so that an age limit never overflows into a nonsense date. */
const MAX_AGE_MS = 10 * 365 * 86_400_000;

/** `--if-older-than` in the one duration grammar (90d, 12h, 30m, 45s, or plain seconds), as a usage error. */
function maxAge(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text, '--if-older-than');
  } catch {
    ms = Number.NaN;
  }
  if (ms >= 0 && ms <= MAX_AGE_MS) return ms;
  throw new UsageError(
    '--if-older-than takes an age such as 90d, 12h, 30m, 45s or plain seconds (at most 10 years)',
    'rotate',
  );
}

export async function run(context: CommandContext): Promise<ExitCode> {
  const id = oneId(context, 'rotate');
  const { out } = context;
  const ifOlderThan = stringValue(context.values, 'if-older-than');
  const maxAgeMs = ifOlderThan === undefined ? undefined : maxAge(ifOlderThan);
  if (maxAgeMs !== undefined && context.values['revoke-previous'] === true) {
    throw new UsageError(
      '--revoke-previous cannot be scheduled: revoke a leaked key with `rotate <id> --revoke-previous` from one place',
      'rotate',
    );
  }
  const algorithm = algorithmOption(context, 'rotate');
  const options = {
    now: context.values.now === true,
    revokePrevious: context.values['revoke-previous'] === true,
    ...(algorithm === undefined ? {} : { algorithm }),
  };
  await withSession(context, async ({ manager, store }) => {
    if (maxAgeMs !== undefined) {
      const scheduled = await manager.rotateIfOlderThan(id, maxAgeMs, options);
      if (!scheduled.rotated) {
        const shape = {
          keyId: id,
          store: store.type,
          rotated: false,
          kid: scheduled.kid,
          ageSeconds: Math.floor(scheduled.ageMs / 1000),
        };
        if (out.json) return out.data(shape);
        out.line(
          `not rotated: key ${out.paint('bold', id)} is ${formatDuration(Math.max(0, scheduled.ageMs))} old, younger than ${formatDuration(maxAgeMs)}`,
        );
        return;
      }
      return report(context.out, manager, id, store.type, scheduled, options);
    }
    return report(context.out, manager, id, store.type, await manager.rotateKeyPair(id, options), options);
  });
  return EXIT.OK;
}

function report(
  out: Output,
  manager: KeyManager,
  id: string,
  storeType: string,
  result: RotationResult,
  options: { readonly now: boolean; readonly revokePrevious: boolean },
): void {
  // What this rotation did, not the settings: `--now` and `--revoke-previous` start the new key at once (an
  // emergency rotation), `--revoke-previous` also retires the old one at once (no grace period).
  const delayMs = options.now || options.revokePrevious ? 0 : manager.rotationDelayMs;
  const graceMs = options.revokePrevious ? 0 : manager.rotationGracePeriodMs;
  const shape = {
    keyId: id,
    store: storeType,
    rotated: true,
    kid: result.kid,
    alg: result.keyPair.jwk.alg ?? null,
    previousKid: result.previousKid,
    activatesAt: result.activatesAt.toISOString(),
    rotationDelaySeconds: delayMs / 1000,
    gracePeriodSeconds: graceMs / 1000,
    previousRetiresAt: result.previousRetiresAt.toISOString(),
  };
  if (out.json) {
    out.data(shape);
    return;
  }
  const wait = result.activatesAt.getTime() - Date.now();
  out.line(`${out.paint('green', 'rotated')} key ${out.paint('bold', id)} in ${storeType}`);
  out.fields([
    ['new kid', result.kid],
    ['algorithm', result.keyPair.jwk.alg ?? result.keyPair.jwk.kty],
    ['old kid', result.previousKid],
    [
      'starts signing',
      wait > 0 ? `${shape.activatesAt} (in ${formatDuration(wait)})` : `${shape.activatesAt} (now)`,
    ],
    ['grace period', options.revokePrevious ? 'none (--revoke-previous)' : formatDuration(graceMs)],
    ['old key retires', shape.previousRetiresAt],
  ]);
}
