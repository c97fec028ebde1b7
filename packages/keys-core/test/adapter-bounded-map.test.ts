/** BoundedMap: insertion-order LRU; `get` refreshes, `has` does not, `set` evicts the oldest beyond `max`. */
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../src/adapter/index.js';

describe('adapter BoundedMap', () => {
  it('evicts the least recently used entry beyond max', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recently used
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['a', 'c']);
    expect(m.has('b')).toBe(false);
    expect(m.size).toBe(2);
  });

  it('has() does not refresh; set() on an existing key refreshes and replaces', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.has('a')).toBe(true);
    m.set('c', 3);
    expect(m.has('a')).toBe(false);
    m.set('b', 20).set('d', 4);
    expect([...m]).toEqual([
      ['b', 20],
      ['d', 4],
    ]);
  });

  it('delete and clear; refuses a max below 1', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1);
    expect(m.delete('a')).toBe(true);
    expect(m.get('a')).toBeUndefined();
    m.set('b', 2);
    m.clear();
    expect(m.size).toBe(0);
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});
