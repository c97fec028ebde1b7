// Types of if-none-match.mjs.
/** Asserts keys-jwt's If-None-Match rule on a fetch-style `handler` serving `url`; resolves with its ETag. */
export function expectIfNoneMatchRule(
  handler: (request: Request) => Response | Promise<Response>,
  url: string,
): Promise<string>;
