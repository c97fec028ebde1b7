/**
 * Access to the moto server the tests run against, started by tooling/services/with-services.sh.
 *
 * Missing variables fail the test file with the command to run: these tests prove the store against a real
 * Secrets Manager implementation and are never skipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MotoEnv {
  /** The Secrets Manager endpoint the SDK picks up from AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  /** moto's own URL (same server), for its /moto-api. */
  readonly motoUrl: string;
}

export function requireMoto(): MotoEnv {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const motoUrl = process.env.PHLOW_MOTO_URL;
  const missing = [
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    'PHLOW_MOTO_URL',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
  ].filter((name) => !process.env[name]);
  if (missing.length > 0 || !endpoint || !motoUrl) {
    throw new Error(
      `${missing.join(', ')} not set: these tests run against a real moto server. Run them through ` +
        '`bash tooling/services/with-services.sh ...`, e.g. `pnpm --filter @phlow/keystore-aws test`',
    );
  }
  return { endpoint, motoUrl };
}

/** The Python of moto's venv (it has boto3), from the environment or the services dir's moto.env. */
export function motoPython(): string {
  let venv = process.env.PHLOW_MOTO_VENV;
  if (!venv && process.env.PHLOW_SERVICES_DIR) {
    const file = readFileSync(join(process.env.PHLOW_SERVICES_DIR, 'moto.env'), 'utf8');
    venv = /^PHLOW_MOTO_VENV=(.*)$/m.exec(file)?.[1];
  }
  if (!venv)
    throw new Error(
      "cannot find moto's venv: set PHLOW_MOTO_VENV or PHLOW_SERVICES_DIR (with-services.sh does)",
    );
  return join(venv, 'bin', 'python');
}

interface ServicesModule {
  stopMoto(): Promise<void>;
  startMoto(): Promise<unknown>;
}

/** @phlow/services (tooling/services/index.mjs, plain JS without types, hence the indirect import). */
async function services(): Promise<ServicesModule> {
  const name = '@phlow/services';
  return (await import(name)) as ServicesModule;
}

/** Stops moto; resolves once the port is closed (it stays reserved for startMoto). */
export async function stopMoto(): Promise<void> {
  await (await services()).stopMoto();
}

/** Starts moto again on the same port. It comes back empty: moto keeps its state in memory. */
export async function startMoto(): Promise<void> {
  await (await services()).startMoto();
}
