/** Durations for people: 86400000 ms -> "24h", 90000 -> "1m 30s". */
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

/**
 * "90d", "12h", "30m", "45s" or a combination ("1d 12h") to milliseconds; undefined when it is not one.
 * Bounded to 10 years so that an age limit never overflows into a nonsense date.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 40) return undefined;
  const units: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let total = 0;
  const rest = trimmed.replace(/(\d{1,6})\s*([dhms])\s*/g, (_, n: string, unit: string) => {
    total += Number(n) * units[unit]!;
    return '';
  });
  if (rest !== '' || total > 10 * 365 * 86_400_000) return undefined;
  return total;
}
