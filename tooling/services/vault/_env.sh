# Sourced by the vault/*.sh scripts: loads helpers and the current vault.env.
# shellcheck shell=bash
# shellcheck source=../lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/common.sh"
svc_dir
VAULT_ENV_FILE="$PHLOW_SERVICES_DIR/vault.env"
PHLOW_VAULT_ROOT_TOKEN="${PHLOW_VAULT_ROOT_TOKEN:-phlow-dev-root}"

# Run the built vault CLI against the server described in vault.env, with a
# private HOME so ~/.vault-token and ~/.vault of the real user are never touched.
vault_cli() {
  local bin addr
  bin="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_BIN)"
  addr="$(svc_env_get "$VAULT_ENV_FILE" VAULT_ADDR)"
  [ -n "$bin" ] && [ -n "$addr" ] || svc_die "no vault server recorded in $VAULT_ENV_FILE (run vault/start.sh)"
  env -u VAULT_NAMESPACE -u VAULT_CACERT -u VAULT_CLIENT_CERT -u VAULT_CLIENT_KEY \
    HOME="$PHLOW_SERVICES_DIR/vault-home" VAULT_ADDR="$addr" VAULT_TOKEN="$PHLOW_VAULT_ROOT_TOKEN" \
    "$bin" "$@"
}
