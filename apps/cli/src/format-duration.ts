/**
 * Durations for people: 86400000 ms -> "1d", 90000 -> "1m 30s". Reading a duration is the kit's one grammar,
 * `parseDuration` from @phlow/keys-core/adapter, as everywhere else in phlow-keys.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let seconds = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}
