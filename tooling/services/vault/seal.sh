#!/usr/bin/env bash
# Seal the running vault (`vault operator seal`) and wait until it reports sealed.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
addr="$(svc_env_get "$VAULT_ENV_FILE" VAULT_ADDR)"
vault_cli operator seal >/dev/null
svc_wait_http "$addr/v1/sys/health" 503 30
svc_log "vault sealed"
