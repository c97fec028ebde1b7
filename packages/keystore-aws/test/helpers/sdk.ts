/**
 * Plain SDK access for the tests: a client configured only by the environment (as another tool would be),
 * and middleware that counts requests or loses an answer after the server processed the request.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export function plainClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

/** Counts requests per operation name, every attempt included (the middleware sits inside the retry loop). */
export function countRequests(client: SecretsManagerClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(op, (counts.get(op) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'testCountRequests', priority: 'low' },
  );
  return counts;
}

/**
 * The first request of `operation` reaches the server, then its answer is "lost" (ECONNRESET), as when a
 * connection drops: the SDK's retry sends the same request again.
 */
export function loseFirstAnswer(client: SecretsManagerClient, operation: string): void {
  let lost = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (!lost && context.commandName === `${operation}Command`) {
        lost = true;
        throw Object.assign(new Error('socket hang up (injected by the test)'), { code: 'ECONNRESET' });
      }
      return result;
    },
    { step: 'deserialize', name: 'testLoseFirstAnswer', priority: 'low' },
  );
}
