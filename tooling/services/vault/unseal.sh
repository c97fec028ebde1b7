#!/usr/bin/env bash
# Unseal the running vault with PHLOW_VAULT_UNSEAL_KEY from vault.env and wait
# until it is active again (data written before sealing is still there).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
addr="$(svc_env_get "$VAULT_ENV_FILE" VAULT_ADDR)"
key="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_UNSEAL_KEY)"
[ -n "$key" ] || svc_die "no PHLOW_VAULT_UNSEAL_KEY in $VAULT_ENV_FILE"
vault_cli operator unseal "$key" >/dev/null
svc_wait_http "$addr/v1/sys/health" 200 30
svc_log "vault unsealed"
