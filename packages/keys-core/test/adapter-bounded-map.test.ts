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

  it('the LRU order holds through the most-recently-used shortcut (get of the newest moves nothing)', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    expect(m.get('c')).toBe(3); // already the newest
    expect(m.get('a')).toBe(1); // a becomes the newest
    expect(m.get('a')).toBe(1);
    expect([...m.keys()]).toEqual(['b', 'c', 'a']);
    m.delete('a'); // the newest is gone: the next get of another key must move it
    expect(m.get('b')).toBe(2);
    expect([...m.keys()]).toEqual(['c', 'b']);
    m.set('d', 4).set('e', 5); // evicts c, the least recently used
    expect([...m.keys()]).toEqual(['b', 'd', 'e']);
    expect(m.get('b')).toBe(2);
    m.set('f', 6); // evicts d
    expect([...m.keys()]).toEqual(['e', 'b', 'f']);
    m.clear();
    m.set('x', 1);
    expect(m.get('e')).toBeUndefined();
    expect(m.get('x')).toBe(1);
    // Random operations against a reference LRU.
    const ref: string[] = [];
    const n = new BoundedMap<string, number>(4);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const key = `k${rand() % 7}`;
      const op = rand() % 3;
      if (op === 0) {
        n.set(key, i);
        ref.splice(ref.indexOf(key) >>> 0, ref.includes(key) ? 1 : 0);
        ref.push(key);
        if (ref.length > 4) ref.shift();
      } else if (op === 1) {
        n.get(key);
        if (ref.includes(key)) {
          ref.splice(ref.indexOf(key), 1);
          ref.push(key);
        }
      } else {
        n.delete(key);
        if (ref.includes(key)) ref.splice(ref.indexOf(key), 1);
      }
      expect([...n.keys()]).toEqual(ref);
    }
  });
});
