/** The numbers `doctor` works to, shared by its help text (index.ts) and its checks. */

/** Keys read one by one when no ids are given; a store with thousands of keys is checked on a sample. */
export const MAX_KEYS_READ = 50;

/** A step that takes longer than this is reported as slow. */
export const SLOW_MS = 500;
