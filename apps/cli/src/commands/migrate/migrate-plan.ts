/**
 * Which ids `migrate` copies, and under which id each lands, decided before anything is written, so that no
 * id is ever changed behind the user's back.
 *
 * The environment store lists `PHLOW_PRIVATE_KEY_MY_AGENT` as `MY_AGENT`, yet the env README tells users to
 * export that variable for id `my-agent` (shells cannot export `-`). Copying it as `MY_AGENT` would leave the
 * application, which asks for `my-agent`, with NOT_FOUND. So a listed all-capitals id from the environment
 * store is copied only when its intended id is known:
 *   - `--as MY_AGENT=my-agent` says it (and `--as MY_AGENT=MY_AGENT` keeps the spelling);
 *   - or the destination already holds exactly one id with that upper-snake spelling (`my-agent`): both
 *     spellings are present, and the key goes to the one the destination uses.
 * Otherwise it is `ambiguous`: reported with the `--as` to give, and not copied.
 *
 * A listed `<id>_new` beside `<id>` (the Python Phlow's rotation leftover) is skipped unless named.
 */
import { assertValidKeyId } from '@phlow/keys-core';
import { assertNewKeyId } from '../../ids.js';
import { PYTHON_ROTATION_SUFFIX, pythonRotationLeftovers } from '../../python-leftovers.js';
import { UsageError } from '../../usage-error.js';
import { describeUserInput } from '../../user-input.js';

export interface PlannedCopy {
  /** The id read at the source. */
  readonly sourceId: string;
  /** The id written at the destination. */
  readonly keyId: string;
  /** Why the two differ, or why the id is not copied. */
  readonly reason?: string;
  /** Set when the id is not copied at all. */
  readonly status?: 'skipped' | 'ambiguous';
}

/** `--as SRC=DEST` values, checked: both valid ids, each source and each destination once. */
export function parseMappings(values: readonly string[]): Map<string, string> {
  const mappings = new Map<string, string>();
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) {
      throw new UsageError(
        `--as takes <source id>=<destination id>, e.g. --as MY_AGENT=my-agent; got ${describeUserInput(value)}`,
        'migrate',
      );
    }
    const source = assertValidKeyId(value.slice(0, at));
    const destination = assertNewKeyId(
      assertValidKeyId(value.slice(at + 1)),
      'migrate',
      'as the destination of --as',
    );
    if (mappings.has(source)) {
      throw new UsageError(
        `--as maps ${describeUserInput(source)} twice: give one mapping per id`,
        'migrate',
      );
    }
    mappings.set(source, destination);
  }
  return mappings;
}

/**
 * The environment store's variable spelling of an id (`my-agent` -> `MY_AGENT`), as in
 * `@phlow/keystore-env`'s `upperSnake`: kept here so that planning a migration loads no adapter (the CLI's
 * `--help` must not pay for one; test/migrate-ids.test.ts checks both agree).
 */
export function upperSnake(keyId: string): string {
  return keyId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** An id the environment store listed by its variable's spelling, whose intended id may differ. */
function spelledAsVariable(id: string): boolean {
  return /[A-Z]/.test(id) && upperSnake(id) === id;
}

export interface PlanInput {
  /** Ids given on the command line (then nothing is listed). */
  readonly named: readonly string[];
  /** Ids the source listed, when none were named. */
  readonly listed: readonly string[];
  readonly sourceType: string;
  readonly mappings: ReadonlyMap<string, string>;
  /** Ids already at the destination, when it can list. */
  readonly destinationIds: readonly string[];
}

export function planCopies(input: PlanInput): PlannedCopy[] {
  const { mappings } = input;
  const chosen = input.named.length > 0 ? [...input.named] : [...input.listed];
  // A mapping names its source: it is copied even when the ids given or listed do not include it.
  for (const source of mappings.keys()) if (!chosen.includes(source)) chosen.push(source);
  const leftovers = new Set(input.named.length > 0 ? [] : pythonRotationLeftovers(input.listed));
  const fromEnvironment = input.sourceType === 'environment';

  const plan = chosen.map((sourceId): PlannedCopy => {
    const mapped = mappings.get(sourceId);
    if (mapped !== undefined) {
      return mapped === sourceId
        ? { sourceId, keyId: sourceId }
        : { sourceId, keyId: mapped, reason: `from ${sourceId} (--as)` };
    }
    if (leftovers.has(sourceId)) {
      return {
        sourceId,
        keyId: sourceId,
        status: 'skipped',
        reason: `Python rotation leftover (<id>${PYTHON_ROTATION_SUFFIX} beside <id>); name it to copy it`,
      };
    }
    if (!fromEnvironment || input.named.includes(sourceId) || !spelledAsVariable(sourceId)) {
      return { sourceId, keyId: sourceId };
    }
    // The capitals spelling at the destination is no evidence: an earlier migrate may have put it there.
    const spellings = input.destinationIds.filter((id) => upperSnake(id) === sourceId);
    if (spellings.length === 1 && spellings[0] !== sourceId) {
      const keyId = spellings[0]!;
      return { sourceId, keyId, reason: `from ${sourceId} (${keyId} exists at the destination)` };
    }
    const example = sourceId.toLowerCase().replace(/_/g, '-');
    return {
      sourceId,
      keyId: sourceId,
      status: 'ambiguous',
      reason: `PHLOW_PRIVATE_KEY_${sourceId} may be for id ${example} (or ${sourceId.toLowerCase()}, ${sourceId}): say which with --as ${sourceId}=${example}`,
    };
  });

  const seen = new Map<string, string>();
  for (const copy of plan) {
    if (copy.status) continue;
    const other = seen.get(copy.keyId);
    if (other !== undefined) {
      throw new UsageError(
        `${other} and ${copy.sourceId} would both be written as ${copy.keyId}: change one --as mapping`,
        'migrate',
      );
    }
    seen.set(copy.keyId, copy.sourceId);
  }
  return plan;
}
