/**
 * A one-line progress bar on stderr, redrawn in place, for commands that go through many keys one by one
 * (migrate, list, jwks: with 2,000 keys a listing takes seconds). Only on a terminal: in a log file or a CI
 * transcript a bar is noise, and stdout never gets it, so `phlow-keys jwks > jwks.json` stays clean.
 */
import type { Output } from './output.js';

export interface Progress {
  update(done: number, label: string): void;
  done(): void;
}

const WIDTH = 24;
/** Fewer items than this finish before a bar could be read: list and jwks draw none. */
export const PROGRESS_FROM = 50;
const NONE: Progress = { update() {}, done() {} };

/**
 * `atLeast`: draw nothing for fewer items than that (a short listing finishes before a bar could be read).
 * Redrawn at most once per 1% of `total`, so a long run writes ~100 lines to the terminal, not one per key.
 */
export function progressBar(out: Output, total: number, atLeast = 1): Progress {
  if (out.stderr.isTTY !== true || total === 0 || total < atLeast) return NONE;
  let drawn = false;
  let lastPercent = -1;
  return {
    update(done, label) {
      const percent = Math.floor((done / total) * 100);
      if (percent === lastPercent && done !== total) return;
      lastPercent = percent;
      const filled = Math.round((done / total) * WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
      out.stderr.write(`\r\u001b[2K[${bar}] ${done}/${total} ${label}`);
      drawn = true;
    },
    done() {
      if (drawn) out.stderr.write('\r\u001b[2K');
    },
  };
}
