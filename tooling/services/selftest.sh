#!/usr/bin/env bash
# End-to-end check of the services. Run: bash tooling/services/with-services.sh bash tooling/services/selftest.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
step() { printf '\n== %s\n' "$*"; }

step "environment"
env | grep -E '^(VAULT_|PHLOW_|AWS_)' | sort

step "vault health"
curl -fsS "$VAULT_ADDR/v1/sys/health"; echo
test "$(command -v vault)" = "$PHLOW_VAULT_BIN"
vault version

step "vault kv put/get on the phlow mount"
vault kv put phlow/keys/x private_key=a public_key=b
test "$(vault kv get -field=public_key phlow/keys/x)" = b

step "moto: create and get a secret with boto3"
"$PHLOW_MOTO_VENV/bin/python" - <<'PY'
import boto3, os
sm = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
sm.create_secret(Name="phlow/selftest", SecretString='{"k":"v"}')
assert sm.get_secret_value(SecretId="phlow/selftest")["SecretString"] == '{"k":"v"}'
print("boto3 ok:", [s["Name"] for s in sm.list_secrets()["SecretList"]])
PY

step "index.mjs: seal / unseal / stop / start / stopMoto / startMoto / resetMoto"
node --input-type=module - "$here/index.mjs" <<'JS'
const m = await import(process.argv[2]);
const assert = (c, msg) => { if (!c) throw new Error(`selftest: ${msg}`); };
const health = async (url) => { try { return (await fetch(`${url}/v1/sys/health`)).status; } catch { return 0; } };
const kvGet = (env, path) => fetch(`${env.VAULT_ADDR}/v1/phlow/data/${path}`, { headers: { 'X-Vault-Token': env.VAULT_TOKEN } });
const t = async (label, fn) => { const s = Date.now(); const r = await fn(); console.log(`${label}: ${Date.now() - s} ms`); return r; };

const v0 = m.vaultEnv();
await t('sealVault', m.sealVault);
assert((await health(v0.VAULT_ADDR)) === 503, 'sealed vault answers 503');
assert((await kvGet(v0, 'keys/x')).status === 503, 'reads fail while sealed');
await t('unsealVault', m.unsealVault);
assert((await kvGet(v0, 'keys/x')).status === 200, 'data survives seal/unseal');

await t('stopVault', m.stopVault);
assert((await health(v0.VAULT_ADDR)) === 0, 'stopped vault does not answer');
const v1 = await t('startVault', m.startVault);
assert(v1.VAULT_ADDR === v0.VAULT_ADDR && v1.VAULT_TOKEN === v0.VAULT_TOKEN, 'same address and token after restart');
assert(v1.PHLOW_VAULT_PID !== v0.PHLOW_VAULT_PID, 'new pid');
assert((await kvGet(v1, 'keys/x')).status === 404, 'dev mode: data is gone after restart, mount is back');
await t('sealVault (after restart)', m.sealVault);
await t('unsealVault (new unseal key)', m.unsealVault);
assert((await health(v1.VAULT_ADDR)) === 200, 'active again');

const a0 = m.motoEnv();
const motoUp = async () => { try { return (await fetch(`${a0.PHLOW_MOTO_URL}/moto-api/data.json`)).status; } catch { return 0; } };
await t('stopMoto', m.stopMoto);
assert((await motoUp()) === 0, 'stopped moto does not answer');
const a1 = await t('startMoto', m.startMoto);
assert(a1.PHLOW_MOTO_URL === a0.PHLOW_MOTO_URL, 'same moto url after restart');
assert((await motoUp()) === 200, 'moto answers again');
await t('resetMoto', m.resetMoto);
console.log('index.mjs ok');
JS

step "selftest passed"
