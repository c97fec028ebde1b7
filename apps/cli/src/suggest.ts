/**
 * "Did you mean": the known name closest to a mistyped one, by edit distance (a swapped, missing or extra
 * letter or two), or the one it is a prefix of. Nothing is suggested for input too far from every name, so a
 * suggestion is never a guess at random.
 */

/** Levenshtein distance with adjacent transpositions counted as one edit (`lsit` -> `list`). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The closest of `names` to `input`, or undefined when none is close (more than a third of it changed). */
export function closest(input: string, names: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  if (lower.length === 0 || lower.length > 64) return undefined;
  const prefixed = names.filter((name) => lower.length >= 2 && name.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(Math.max(lower.length, 3) / 3));
  for (const name of names) {
    const d = distance(lower, name);
    if (d <= bestDistance && (best === undefined || d < distance(lower, best))) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean X?)`, or nothing. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}

/**
 * The built-in store type a mistyped one was meant to be (`vualt` -> `vault`), or undefined: for a built-in
 * name, and for a name that is plainly a package or a path (scoped, `module:`, with a slash or a dot), which
 * is an adapter someone chose on purpose.
 */
export function closestStoreType(type: string, builtIn: readonly string[]): string | undefined {
  if (builtIn.includes(type) || /[@/:.]/.test(type)) return undefined;
  return closest(type, builtIn);
}
