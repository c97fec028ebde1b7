/**
 * A one-line progress bar on stderr, redrawn in place. Only on a terminal: in a log file or a CI transcript
 * a bar is noise, so anywhere else it prints nothing.
 */
import type { Output } from '../../output.js';

export interface Progress {
  update(done: number, label: string): void;
  done(): void;
}

const WIDTH = 24;

export function progressBar(out: Output, total: number): Progress {
  if (out.stderr.isTTY !== true || out.json || total === 0) return { update() {}, done() {} };
  let drawn = false;
  return {
    update(done, label) {
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
