/**
 * A SecretsManagerClient whose HTTP handler answers in process, for the failures moto cannot produce
 * (throttling, access denied, KMS failures, garbled answers). Everything above the HTTP layer is the real
 * SDK: serialisation, signing, the standard retry mode and error parsing.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface CannedAnswer {
  readonly status: number;
  /** Sent as JSON unless it is a string. */
  readonly body: unknown;
}

export interface CannedClient {
  readonly client: SecretsManagerClient;
  /** Operation names in the order they were sent, every attempt included. */
  readonly calls: string[];
}

/** An AWS JSON error answer. */
export const awsError = (status: number, type: string, message: string): CannedAnswer => ({
  status,
  body: { __type: type, message },
});

export function cannedClient(
  answer: (operation: string, attempt: number) => CannedAnswer,
  maxAttempts = 3,
): CannedClient {
  const calls: string[] = [];
  const handler = {
    async handle(request: { headers: Record<string, string> }) {
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      calls.push(operation);
      const reply = answer(operation, calls.filter((c) => c === operation).length);
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      return {
        response: {
          statusCode: reply.status,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': `req-${calls.length}`,
          },
          body: new TextEncoder().encode(text),
        },
      };
    },
  };
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    maxAttempts,
    requestHandler: handler as never,
  });
  return { client, calls };
}
