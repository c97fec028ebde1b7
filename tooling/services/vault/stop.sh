#!/usr/bin/env bash
# Stop the vault dev server recorded in $PHLOW_SERVICES_DIR/vault.env (no-op if
# none). vault.env is kept (with PHLOW_VAULT_PID emptied) so start.sh reuses the port.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
[ -f "$VAULT_ENV_FILE" ] || exit 0
pid="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_PID)"
port="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_PORT)"
svc_kill "$pid"
[ -z "$port" ] || svc_wait_port_free "$port" 15
svc_env_set "$VAULT_ENV_FILE" PHLOW_VAULT_PID ""
[ -z "$pid" ] || svc_log "vault stopped (pid $pid)"
