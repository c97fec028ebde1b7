/**
 * The Python Phlow rotated by writing `<id>_new` and never removed it: such ids beside `<id>` are leftovers,
 * not keys anyone signs with. `migrate` skips them unless named; `doctor` points them out.
 */

/** Suffix of the Python Phlow's rotation entries. */
export const PYTHON_ROTATION_SUFFIX = '_new';

/** The ids in `ids` that are `<id>_new` with `<id>` present too. */
export function pythonRotationLeftovers(ids: readonly string[]): string[] {
  const all = new Set(ids);
  return ids.filter(
    (id) => id.endsWith(PYTHON_ROTATION_SUFFIX) && all.has(id.slice(0, -PYTHON_ROTATION_SUFFIX.length)),
  );
}
