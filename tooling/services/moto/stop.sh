#!/usr/bin/env bash
# Stop the moto server recorded in $PHLOW_SERVICES_DIR/moto.env (no-op if none).
# moto.env is kept (with PHLOW_MOTO_PID emptied) so start.sh reuses the port.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
[ -f "$MOTO_ENV_FILE" ] || exit 0
pid="$(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_PID)"
port="$(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_PORT)"
svc_kill "$pid"
[ -z "$port" ] || svc_wait_port_free "$port" 15
svc_env_set "$MOTO_ENV_FILE" PHLOW_MOTO_PID ""
[ -z "$pid" ] || svc_log "moto stopped (pid $pid)"
