/**
 * The one reader of a stored activation time (`activates_at` in the Vault, AWS and file layouts).
 *
 * Every replica must read the same instant from the same text, so only full ISO 8601 date-times with an
 * explicit offset are accepted (`2026-12-07T08:00:00.000Z`, `...+01:00`). `new Date(text)` would also take
 * `"1"` (2001, local time), `"Dec 25 2099"` or an offset-less time read in each host's own time zone, and
 * replicas in different zones would then disagree on which key signs. Anything else reads as absent: the
 * version then follows the rule for versions written without a time (write time + delay).
 */

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** A stored time as a Date, or undefined when it is absent or not an ISO 8601 instant with an offset. */
export function parseStoredTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length > 40 || !ISO_INSTANT.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
