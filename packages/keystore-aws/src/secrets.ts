/**
 * One function per Secrets Manager call the store makes, each a single request with the store's defaults
 * filled in (secret name, KMS key, tags). The store's logic (store.ts, write.ts) is written in terms of
 * these, so every request the store can send is listed here.
 *
 * Staging labels: the version holding AWSCURRENT is the key; AWSPREVIOUS is the key it replaced (kept
 * verifying during rotation's grace period); AWSPENDING marks a version written but not yet made current.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { startDeadline } from '@phlow/keys-core/adapter';
import { tracked } from './client.js';
import { deadlineExceeded, isStageMismatch } from './errors.js';
import type { AwsConfig } from './options.js';

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
export const PENDING = 'AWSPENDING';

export type Secrets = ReturnType<typeof secretsApi>;

export function secretsApi(client: SecretsManagerClient, config: AwsConfig) {
  /**
   * One request, SDK retries included, within the total deadline: the SDK's timeouts are per attempt and
   * idle-socket ones, so an endpoint that trickles its answer a byte at a time would hold the call for ever.
   * The kit's deadline aborts the signal and destroys the request (through the quiet agents, also for requests
   * the SDK makes without the signal), and the error says that the deadline passed, whatever the SDK made of it.
   */
  const within = async <T>(send: (options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> => {
    const deadline = startDeadline(config.requestDeadlineMs);
    try {
      return await deadline.run(() => send({ abortSignal: deadline.signal }));
    } catch (error) {
      if (deadline.expired) throw deadlineExceeded(error, config.requestDeadlineMs);
      throw error;
    } finally {
      deadline.clear();
    }
  };

  return {
    nameOf: (keyId: string): string => config.prefix + keyId,

    /** The value of one version: by id, or the one holding `stage`. */
    get(name: string, by: { stage: string } | { versionId: string }): Promise<GetSecretValueCommandOutput> {
      const which = 'stage' in by ? { VersionStage: by.stage } : { VersionId: by.versionId };
      return within((o) => client.send(tracked(new GetSecretValueCommand({ SecretId: name, ...which })), o));
    },

    /** Creates the secret with its first version, `token` as VersionId. */
    async create(name: string, secretString: string, token: string, keyId: string): Promise<void> {
      await within((o) =>
        client.send(
          tracked(
            new CreateSecretCommand({
              Name: name,
              SecretString: secretString,
              ClientRequestToken: token,
              Description: `Phlow key pair "${keyId}": JSON {"private_key", "public_key"} (PEM)`,
              ...(config.kmsKeyId !== undefined ? { KmsKeyId: config.kmsKeyId } : {}),
              ...(config.tags.length > 0 ? { Tags: [...config.tags] } : {}),
            }),
          ),
          o,
        ),
      );
    },

    /** Adds a version with `token` as VersionId, labelled `stage` only (AWSCURRENT stays where it is). */
    async put(name: string, secretString: string, token: string, stage: string): Promise<void> {
      await within((o) =>
        client.send(
          tracked(
            new PutSecretValueCommand({
              SecretId: name,
              SecretString: secretString,
              ClientRequestToken: token,
              VersionStages: [stage],
            }),
          ),
          o,
        ),
      );
    },

    /**
     * Moves `stage` to `toVersion`, atomically checking that `fromVersion` holds it (InvalidParameterException
     * otherwise). Moving AWSCURRENT also moves AWSPREVIOUS to `fromVersion`.
     */
    async move(
      name: string,
      stage: string,
      toVersion: string,
      fromVersion: string | undefined,
    ): Promise<void> {
      await within((o) =>
        client.send(
          tracked(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: stage,
              MoveToVersionId: toVersion,
              ...(fromVersion !== undefined ? { RemoveFromVersionId: fromVersion } : {}),
            }),
          ),
          o,
        ),
      );
    },

    /** Removes `stage` from `versionId`; does nothing if that version no longer holds it. */
    async dropLabel(name: string, stage: string, versionId: string): Promise<void> {
      try {
        await within((o) =>
          client.send(
            tracked(
              new UpdateSecretVersionStageCommand({
                SecretId: name,
                VersionStage: stage,
                RemoveFromVersionId: versionId,
              }),
            ),
            o,
          ),
        );
      } catch (error) {
        if (!isStageMismatch(error)) throw error;
      }
    },

    /**
     * The labelled versions (version id -> staging labels; unlabelled, deprecated versions are not listed),
     * which one holds AWSCURRENT, and whether the secret is scheduled for deletion. One DescribeSecret,
     * rather than ListSecretVersionIds: it says whether the secret is deleted too, falls under the high
     * request quota of GetSecretValue, and moto answers a ListSecretVersionIds of a missing secret with a 500.
     */
    async describe(name: string): Promise<{
      current: string | undefined;
      deleted: boolean;
      stages: Record<string, string[]>;
      /** When the secret last changed, by AWS's clock (write.ts compares the writer's clock with it). */
      lastChanged: Date | undefined;
    }> {
      const out = await within((o) => client.send(tracked(new DescribeSecretCommand({ SecretId: name })), o));
      const stages = out.VersionIdsToStages ?? {};
      const current = Object.entries(stages).find(([, labels]) => labels.includes(CURRENT))?.[0];
      const lastChanged = out.LastChangedDate instanceof Date ? out.LastChangedDate : undefined;
      return { current, deleted: out.DeletedDate !== undefined, stages, lastChanged };
    },

    /**
     * Names of secrets starting with the prefix, across pages (the name filter is a prefix match): the live
     * ones, or with `scheduledForDeletion` only those scheduled for deletion (ListSecrets leaves them out
     * unless asked with IncludePlannedDeletion).
     */
    async names(which: 'live' | 'scheduledForDeletion' = 'live'): Promise<string[]> {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const out = await within((o) =>
          client.send(
            tracked(
              new ListSecretsCommand({
                MaxResults: 100,
                NextToken: token,
                ...(which === 'scheduledForDeletion' ? { IncludePlannedDeletion: true } : {}),
                ...(config.prefix !== '' ? { Filters: [{ Key: 'name', Values: [config.prefix] }] } : {}),
              }),
            ),
            o,
          ),
        );
        for (const secret of out.SecretList ?? []) {
          const deleted = secret.DeletedDate !== undefined;
          if (secret.Name && deleted === (which === 'scheduledForDeletion')) names.push(secret.Name);
        }
        token = out.NextToken || undefined;
      } while (token);
      return names;
    },

    async scheduleDeletion(name: string): Promise<void> {
      await within((o) =>
        client.send(
          tracked(
            new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: config.recoveryWindowDays }),
          ),
          o,
        ),
      );
    },

    async forceDelete(name: string): Promise<void> {
      await within((o) =>
        client.send(
          tracked(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
          o,
        ),
      );
    },

    async restore(name: string): Promise<void> {
      await within((o) => client.send(tracked(new RestoreSecretCommand({ SecretId: name })), o));
    },
  };
}
