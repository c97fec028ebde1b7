#!/usr/bin/env bash
# Stop the vault dev server recorded in $PHLOW_SERVICES_DIR/vault.env (no-op if
# none). vault.env is kept (with PHLOW_VAULT_PID emptied) so start.sh reuses the port.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
svc_stop vault "$VAULT_ENV_FILE" PHLOW_VAULT
