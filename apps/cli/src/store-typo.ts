/**
 * A store type that names no installed adapter and is one slip from a built-in name (`--store vualt`) gets
 * "did you mean vault" instead of the resolver's advice to `npm install @phlow/keystore-vualt`, a package
 * that does not exist. Any other name keeps the resolver's message, install command included. The resolver's
 * message stays the cause, shown with --debug.
 */
import { isKeyStoreError, KeyStoreError } from '@phlow/keys-core';
import { BUILT_IN_STORE_NAMES, STORE_TYPES } from './store-types.js';
import { closestStoreType, didYouMean } from './suggest.js';
import { describeUserInput } from './user-input.js';

/** `error` itself, or for an ADAPTER_NOT_FOUND about a mistyped built-in type, one that says so. */
export function withStoreTypeSuggestion(error: unknown, given: readonly string[]): unknown {
  if (!isKeyStoreError(error, 'ADAPTER_NOT_FOUND')) return error;
  for (const type of given) {
    const suggestion = closestStoreType(type, BUILT_IN_STORE_NAMES);
    if (suggestion === undefined || !error.message.includes(JSON.stringify(type))) continue;
    return new KeyStoreError(
      'ADAPTER_NOT_FOUND',
      `unknown store type ${describeUserInput(type)}${didYouMean(suggestion)}; the built-in types are ${STORE_TYPES.join(', ')}, and any other name is an adapter package (run with --debug for where it was looked for)`,
      { cause: error },
    );
  }
  return error;
}
