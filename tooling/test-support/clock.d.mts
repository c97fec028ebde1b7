// Types of clock.mjs.
export interface TestClock {
  /** The time it reads, ms since the epoch. */
  ms: number;
  now(): number;
  advance(ms: number): void;
}

/** A clock at `start` (default: now) that moves only when `advance` is called. */
export function testClock(start?: number): TestClock;
