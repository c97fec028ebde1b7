/**
 * Printing a record that holds a private key prints `[redacted]` in its place: `storedKeyPair(record)` is what
 * stores return from `getKeyPair` and `getKeyVersions`, the same redaction KeyPair has.
 *
 * The result is the record's own plain data (an ordinary object, `privateKey` an ordinary enumerable
 * property), so code that reads, spreads, compares or clones it works as before; only printing changes.
 * `toJSON`, `toString` and `util.inspect`'s hook are added as non-enumerable properties, so JSON.stringify,
 * console.log, util.inspect, String() and template strings show `privateKey: '[redacted]'`. A spread copy is
 * a plain object again: wrap it anew (`storedKeyPair({ ...pair, current })`).
 */
import type { StoredKeyPair } from './contract.js';
import { publicPemProblem } from './public-pem.js';

export const REDACTED = '[redacted]';
export const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

type InspectFn = (value: unknown, options?: unknown) => string;

/**
 * `record` with its private half redacted whenever it is printed (and its public half too, should a store
 * hold a private key there). Returns the same object, or a copy if the record cannot be extended.
 */
export function storedKeyPair<T extends StoredKeyPair>(record: T): T {
  const target = Object.isExtensible(record) ? record : { ...record };
  const printable = (): Record<string, unknown> => ({
    ...(target as Record<string, unknown>),
    privateKey: REDACTED,
    ...(publicPemProblem(target.publicKey) === 'private' ? { publicKey: REDACTED } : {}),
  });
  Object.defineProperties(target, {
    toJSON: { value: printable, enumerable: false, configurable: true, writable: true },
    toString: {
      value: () => `StoredKeyPair(private key ${REDACTED})`,
      enumerable: false,
      configurable: true,
      writable: true,
    },
    [inspectSymbol]: {
      value: (_depth: number, options: unknown, inspect?: InspectFn) =>
        inspect ? inspect(printable(), options) : JSON.stringify(printable()),
      enumerable: false,
      configurable: true,
      writable: true,
    },
  });
  return target;
}
