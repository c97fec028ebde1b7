/**
 * Asking the person at the terminal to confirm a destructive action. The question goes to stderr so that
 * stdout stays clean; only an explicit "y" or "yes" confirms.
 */
import { createInterface } from 'node:readline/promises';

export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal readline reads Ctrl+C as a key: hand it to the process's SIGINT handler (cli.ts, exit 130),
  // instead of leaving the question paused forever.
  rl.on('SIGINT', () => process.emit('SIGINT'));
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
