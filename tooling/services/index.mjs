// @phlow/services: control the real Vault dev server and moto server that
// tooling/services/with-services.sh started, from test code. No dependencies.
//
// Each function runs the matching shell script (vault/*.sh, moto/*.sh), which
// waits until the state is reached, and resolves when it is. The env files in
// $PHLOW_SERVICES_DIR are the source of truth: after startVault() the pid and
// the unseal key change (vault dev mode starts empty), so re-read vaultEnv().
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory of these scripts (tooling/services). */
export const servicesHome = dirname(fileURLToPath(import.meta.url));

/** $PHLOW_SERVICES_DIR (holds vault.env, moto.env, logs); throws if unset. */
export function servicesDir() {
  const dir = process.env.PHLOW_SERVICES_DIR;
  if (!dir) {
    throw new Error(
      'PHLOW_SERVICES_DIR is not set: run through `bash tooling/services/with-services.sh <command>`',
    );
  }
  return dir;
}

function readEnvFile(name) {
  const file = join(servicesDir(), name);
  if (!existsSync(file)) throw new Error(`${file} does not exist: the service was never started`);
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

/** Current vault.env: VAULT_ADDR, VAULT_URL, VAULT_TOKEN, PHLOW_VAULT_BIN, PHLOW_VAULT_PID, PHLOW_VAULT_PORT, PHLOW_VAULT_UNSEAL_KEY, PHLOW_VAULT_LOG. */
export function vaultEnv() {
  return readEnvFile('vault.env');
}

/** Current moto.env: AWS_ENDPOINT_URL_SECRETS_MANAGER, PHLOW_MOTO_URL, PHLOW_MOTO_PID, PHLOW_MOTO_PORT, PHLOW_MOTO_VENV, AWS_REGION, ... */
export function motoEnv() {
  return readEnvFile('moto.env');
}

/** Both env files merged. */
export function servicesEnv() {
  return { ...vaultEnv(), ...motoEnv() };
}

function run(script) {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [join(servicesHome, script)],
      { env: { ...process.env, PHLOW_SERVICES_DIR: servicesDir() }, timeout: 15 * 60_000 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
        else resolve();
      },
    );
  });
}

/** `vault operator seal`; resolves once /v1/sys/health reports sealed (503). Data is kept. */
export async function sealVault() {
  await run('vault/seal.sh');
}

/** Unseal with PHLOW_VAULT_UNSEAL_KEY; resolves once Vault is active again with its data. */
export async function unsealVault() {
  await run('vault/unseal.sh');
}

/** Stop the Vault server; resolves once its process is gone and the port is closed. */
export async function stopVault() {
  await run('vault/stop.sh');
}

/** Start Vault again on the SAME port and root token, `phlow` kv-v2 mounted. Dev mode: it comes back EMPTY. Returns the new vault env. */
export async function startVault() {
  await run('vault/start.sh');
  return vaultEnv();
}

/** stopVault() then startVault(). */
export async function restartVault() {
  await stopVault();
  return startVault();
}

/** Stop moto; resolves once its process is gone and the port is closed. */
export async function stopMoto() {
  await run('moto/stop.sh');
}

/** Start moto again on the SAME port. It comes back EMPTY. Returns the new moto env. */
export async function startMoto() {
  await run('moto/start.sh');
  return motoEnv();
}

/** stopMoto() then startMoto(). */
export async function restartMoto() {
  await stopMoto();
  return startMoto();
}

/** Wipe all moto state without restarting (POST /moto-api/reset). */
export async function resetMoto() {
  await run('moto/reset.sh');
}
