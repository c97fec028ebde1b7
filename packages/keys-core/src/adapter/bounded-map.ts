/**
 * One bounded map for every cache of an adapter (public keys by version, metadata by id): insertion-order LRU.
 * A Map iterates in insertion order, so re-inserting on `get` keeps the most recently used entries last and
 * the oldest first, where `set` evicts once the map holds more than `max`. No timers, no dependencies.
 * A `get` of the most recently used key moves nothing (the common case of a service signing with one key:
 * a Map delete + set per call costs more than the lookup).
 */
export class BoundedMap<K, V> {
  readonly max: number;
  readonly #entries = new Map<K, V>();
  /** The most recently used key while `#hasNewest`: the last one `get` or `set` moved to the end. */
  #newest: K | undefined;
  #hasNewest = false;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError('BoundedMap: max must be a whole number >= 1');
    this.max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, and `key` becomes the most recently used. */
  get(key: K): V | undefined {
    if (this.#hasNewest && this.#newest === key) return this.#entries.get(key);
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    this.#hasNewest = true;
    return value;
  }

  /** Does not refresh `key`. */
  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Stores `value` as the most recently used, then evicts the least recently used beyond `max`. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    this.#hasNewest = true;
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.#hasNewest && this.#newest === key) {
      this.#hasNewest = false;
      this.#newest = undefined;
    }
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#hasNewest = false;
    this.#newest = undefined;
    this.#entries.clear();
  }

  /** Keys, least recently used first. */
  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }

  values(): IterableIterator<V> {
    return this.#entries.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.#entries.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.#entries.entries();
  }
}
