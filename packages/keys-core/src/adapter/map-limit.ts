/**
 * The bounded-parallel map (one copy; core's JWK Set builder and the Vault store each had their own): many
 * backend reads without a storm of requests, never more than `limit` at a time.
 */

/**
 * `fn` over `items` with at most `limit` calls running; results in input order. On the first failure no new
 * call starts and that failure is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError('mapLimit: limit must be a whole number >= 1');
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
